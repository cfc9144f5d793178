//! The emails in English.

use maille_config::Language;

use super::{action, paragraph, quote_or, Letter};
use crate::Email;

/// Writes `email` in English for the instance called `instance`.
pub(super) fn letter(email: &Email, instance: &str) -> Letter {
    let (subject, greeting, blocks) = match email {
        Email::VerifyEmail {
            display_name,
            link,
            valid_hours,
        } => (
            "Confirm your email address".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Welcome to {instance}! To confirm that this email address is yours, open \
                     the link below:"
                )),
                action("Confirm my address", link),
                paragraph(format!(
                    "This link is valid for {}. If you did not sign up, you can ignore this \
                     email.",
                    hours(*valid_hours)
                )),
            ],
        ),
        Email::ConfirmEmailChange {
            display_name,
            link,
            valid_hours,
        } => (
            "Confirm your new email address".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "You asked to change the email address of your account on {instance} to \
                     this one. To confirm the change, open the link below:"
                )),
                action("Confirm the new address", link),
                paragraph(format!(
                    "This link is valid for {}. Until you confirm, your account keeps its \
                     current address. If you did not ask for this change, just ignore this \
                     email.",
                    hours(*valid_hours)
                )),
            ],
        ),
        Email::PasswordReset {
            display_name,
            link,
            valid_minutes,
        } => (
            "Reset your password".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Someone (probably you) asked to reset the password of your account on \
                     {instance}. To choose a new password, open the link below:"
                )),
                action("Choose a new password", link),
                paragraph(format!(
                    "This link is valid for {}. If you did not ask for this, ignore this email: \
                     your password stays as it is.",
                    minutes(*valid_minutes)
                )),
            ],
        ),
        Email::PasswordChanged { display_name } => (
            "Your password was changed".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "The password of your account on {instance} has just been changed."
                )),
                paragraph(
                    "If that was you, there is nothing else to do. If it was not, reset your \
                     password right away from the login page and let the administrators know.",
                ),
            ],
        ),
        Email::SignupWithExistingAddress {
            display_name,
            login_link,
            reset_link,
        } => (
            "Sign-up attempt with your address".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Someone (perhaps you) tried to create an account on {instance} with this \
                     email address, but it already belongs to your account. If that was you, \
                     you can simply log in:"
                )),
                action("Log in", login_link),
                paragraph("Forgot your password? You can choose a new one:"),
                action("Reset my password", reset_link),
                paragraph(
                    "If it was not you, ignore this email: nothing has changed on your account.",
                ),
            ],
        ),
        Email::AccountApproved { display_name, link } => (
            "Your account has been approved".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Good news: the administrators of {instance} have approved your account. \
                     You can log in now:"
                )),
                action("Log in", link),
            ],
        ),
        Email::ApprovalRequested {
            username,
            reason,
            link,
        } => (
            format!("New account request: {username}"),
            hello(""),
            vec![
                paragraph(format!(
                    "{username} would like an account on {instance}. The reason they gave:"
                )),
                quote_or(reason, "(no reason given)"),
                paragraph("To approve or decline the request, go to the administration page:"),
                action("Review the request", link),
            ],
        ),
        Email::SpaceInvitation {
            inviter,
            space_name,
            link,
            valid_days,
        } => (
            format!("{inviter} invites you to join “{space_name}”"),
            hello(""),
            vec![
                paragraph(format!(
                    "{inviter} invites you to join the space “{space_name}” on {instance}. To \
                     accept the invitation, open the link below:"
                )),
                action("Accept the invitation", link),
                paragraph(format!(
                    "This invitation is valid for {}. If you do not know {inviter} or do not \
                     want to join this space, just ignore this email.",
                    days(*valid_days)
                )),
            ],
        ),
    };
    Letter {
        language: Language::En,
        subject,
        greeting,
        blocks,
        button_fallback: "If the button does not work, copy this address into your browser:",
        signature: format!("The {instance} team"),
        notice: format!("This email was sent automatically by {instance}."),
    }
}

fn hello(name: &str) -> String {
    match name.trim() {
        "" => "Hello,".to_owned(),
        name => format!("Hello {name},"),
    }
}

fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{n} {}", if n == 1 { singular } else { plural })
}

fn hours(n: u64) -> String {
    count(n, "hour", "hours")
}

fn minutes(n: u64) -> String {
    count(n, "minute", "minutes")
}

fn days(n: u64) -> String {
    count(n, "day", "days")
}

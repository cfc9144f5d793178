//! The emails in French.
//!
//! Typography: a no-break space (U+00A0) before « : » and inside guillemets, a narrow no-break
//! space (U+202F) before « ; ! ? », as French printers do.

use maille_config::Language;

use super::{action, paragraph, quote_or, Letter};
use crate::Email;

/// Writes `email` in French for the instance called `instance`.
pub(super) fn letter(email: &Email, instance: &str) -> Letter {
    let (subject, greeting, blocks) = match email {
        Email::VerifyEmail {
            display_name,
            link,
            valid_hours,
        } => (
            "Confirmez votre adresse e-mail".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Bienvenue sur {instance}\u{202f}! Pour confirmer que cette adresse e-mail \
                     est bien la vôtre, ouvrez le lien ci-dessous\u{a0}:"
                )),
                action("Confirmer mon adresse", link),
                paragraph(format!(
                    "Ce lien est valable {}. Si vous n’êtes pas à l’origine de cette \
                     inscription, vous pouvez ignorer ce message.",
                    hours(*valid_hours)
                )),
            ],
        ),
        Email::ConfirmEmailChange {
            display_name,
            link,
            valid_hours,
        } => (
            "Confirmez votre nouvelle adresse e-mail".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Vous avez demandé à remplacer l’adresse e-mail de votre compte sur \
                     {instance} par celle-ci. Pour confirmer ce changement, ouvrez le lien \
                     ci-dessous\u{a0}:"
                )),
                action("Confirmer la nouvelle adresse", link),
                paragraph(format!(
                    "Ce lien est valable {}. Tant que vous n’avez pas confirmé, votre compte \
                     garde son adresse actuelle. Si vous n’êtes pas à l’origine de cette \
                     demande, ignorez simplement ce message.",
                    hours(*valid_hours)
                )),
            ],
        ),
        Email::PasswordReset {
            display_name,
            link,
            valid_minutes,
        } => (
            "Réinitialisation de votre mot de passe".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Quelqu’un (sans doute vous) a demandé à réinitialiser le mot de passe de \
                     votre compte sur {instance}. Pour choisir un nouveau mot de passe, ouvrez \
                     le lien ci-dessous\u{a0}:"
                )),
                action("Choisir un nouveau mot de passe", link),
                paragraph(format!(
                    "Ce lien est valable {}. Si vous n’êtes pas à l’origine de cette demande, \
                     ignorez ce message\u{a0}: votre mot de passe reste inchangé.",
                    minutes(*valid_minutes)
                )),
            ],
        ),
        Email::PasswordChanged { display_name } => (
            "Votre mot de passe a été modifié".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Le mot de passe de votre compte sur {instance} vient d’être modifié."
                )),
                paragraph(
                    "Si c’est vous, vous n’avez rien d’autre à faire. Sinon, réinitialisez \
                     votre mot de passe sans attendre depuis la page de connexion et prévenez \
                     l’équipe d’administration.",
                ),
            ],
        ),
        Email::SignupWithExistingAddress {
            display_name,
            login_link,
            reset_link,
        } => (
            "Tentative d’inscription avec votre adresse".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Quelqu’un (peut-être vous) a essayé de créer un compte sur {instance} avec \
                     cette adresse e-mail, alors qu’elle est déjà associée à votre compte. Si \
                     c’était vous, il vous suffit de vous connecter\u{a0}:"
                )),
                action("Me connecter", login_link),
                paragraph("Mot de passe oublié\u{202f}? Vous pouvez en choisir un nouveau\u{a0}:"),
                action("Réinitialiser mon mot de passe", reset_link),
                paragraph(
                    "Si ce n’était pas vous, ignorez ce message\u{a0}: rien n’a changé sur \
                     votre compte.",
                ),
            ],
        ),
        Email::AccountApproved { display_name, link } => (
            "Votre compte a été approuvé".to_owned(),
            hello(display_name),
            vec![
                paragraph(format!(
                    "Bonne nouvelle\u{a0}: l’équipe d’administration de {instance} a approuvé \
                     votre compte. Vous pouvez dès à présent vous connecter\u{a0}:"
                )),
                action("Me connecter", link),
            ],
        ),
        Email::ApprovalRequested {
            username,
            reason,
            link,
        } => (
            format!("Nouvelle demande de compte\u{a0}: {username}"),
            hello(""),
            vec![
                paragraph(format!(
                    "{username} demande à créer un compte sur {instance}. Motif indiqué\u{a0}:"
                )),
                quote_or(reason, "(aucun motif indiqué)"),
                paragraph(
                    "Pour accepter ou refuser cette demande, rendez-vous sur la page \
                     d’administration\u{a0}:",
                ),
                action("Examiner la demande", link),
            ],
        ),
        Email::SpaceInvitation {
            inviter,
            space_name,
            link,
            valid_days,
        } => (
            format!("{inviter} vous invite à rejoindre «\u{a0}{space_name}\u{a0}»"),
            hello(""),
            vec![
                paragraph(format!(
                    "{inviter} vous invite à rejoindre l’espace «\u{a0}{space_name}\u{a0}» sur \
                     {instance}. Pour accepter l’invitation, ouvrez le lien ci-dessous\u{a0}:"
                )),
                action("Accepter l’invitation", link),
                paragraph(format!(
                    "Cette invitation est valable {}. Si vous ne connaissez pas {inviter} ou ne \
                     souhaitez pas rejoindre cet espace, ignorez simplement ce message.",
                    days(*valid_days)
                )),
            ],
        ),
    };
    Letter {
        language: Language::Fr,
        subject,
        greeting,
        blocks,
        button_fallback: "Si le bouton ne fonctionne pas, copiez cette adresse dans votre \
                          navigateur\u{a0}:",
        signature: format!("L’équipe de {instance}"),
        notice: format!("Ce message vous a été envoyé automatiquement par {instance}."),
    }
}

fn hello(name: &str) -> String {
    match name.trim() {
        "" => "Bonjour,".to_owned(),
        name => format!("Bonjour {name},"),
    }
}

/// French puts the singular on 0 and 1.
fn count(n: u64, singular: &str, plural: &str) -> String {
    format!("{n}\u{a0}{}", if n < 2 { singular } else { plural })
}

fn hours(n: u64) -> String {
    count(n, "heure", "heures")
}

fn minutes(n: u64) -> String {
    count(n, "minute", "minutes")
}

fn days(n: u64) -> String {
    count(n, "jour", "jours")
}

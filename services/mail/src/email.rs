//! The emails Maille sends, as data: what each one must say, not how it says it.

use std::fmt;

/// Every email Maille sends. Fields are plain text; the HTML rendering escapes them.
///
/// `Debug` shows only the kind of email: links carry secret tokens and must not reach logs.
#[derive(Clone, PartialEq, Eq)]
pub enum Email {
    /// Asks a new account's owner to confirm their address.
    VerifyEmail {
        /// The recipient's name as shown in Maille.
        display_name: String,
        /// The confirmation link.
        link: String,
        /// How long the link works, in hours.
        valid_hours: u64,
    },
    /// Sent to a new address an account wants to move to, to confirm it.
    ConfirmEmailChange {
        /// The recipient's name as shown in Maille.
        display_name: String,
        /// The confirmation link.
        link: String,
        /// How long the link works, in hours.
        valid_hours: u64,
    },
    /// A link to choose a new password.
    PasswordReset {
        /// The recipient's name as shown in Maille.
        display_name: String,
        /// The reset link.
        link: String,
        /// How long the link works, in minutes.
        valid_minutes: u64,
    },
    /// Tells an account's owner their password was changed.
    PasswordChanged {
        /// The recipient's name as shown in Maille.
        display_name: String,
    },
    /// Someone tried to sign up with an address that already has an account (sent instead of
    /// revealing that to the person signing up).
    SignupWithExistingAddress {
        /// The existing account's name as shown in Maille.
        display_name: String,
        /// The login page.
        login_link: String,
        /// The page to ask for a password reset.
        reset_link: String,
    },
    /// Tells someone an admin approved their account.
    AccountApproved {
        /// The recipient's name as shown in Maille.
        display_name: String,
        /// The login page.
        link: String,
    },
    /// To admins, when the registration mode is `approval`.
    ApprovalRequested {
        /// The user name asked for.
        username: String,
        /// Why they want an account, in their words (may span several lines, may be empty).
        reason: String,
        /// The administration page where the request is reviewed.
        link: String,
    },
    /// Invites someone into a space.
    SpaceInvitation {
        /// Who invites, as shown in Maille.
        inviter: String,
        /// The space's name.
        space_name: String,
        /// The link that accepts the invitation.
        link: String,
        /// How long the invitation works, in days.
        valid_days: u64,
    },
}

impl Email {
    /// A short stable name of the kind of email, for logs and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Email::VerifyEmail { .. } => "verify_email",
            Email::ConfirmEmailChange { .. } => "confirm_email_change",
            Email::PasswordReset { .. } => "password_reset",
            Email::PasswordChanged { .. } => "password_changed",
            Email::SignupWithExistingAddress { .. } => "signup_with_existing_address",
            Email::AccountApproved { .. } => "account_approved",
            Email::ApprovalRequested { .. } => "approval_requested",
            Email::SpaceInvitation { .. } => "space_invitation",
        }
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email::{} {{ .. }}", self.kind())
    }
}

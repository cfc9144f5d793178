//! The roles in a space and what each one may do. Every permission check of the service asks
//! one of these questions, so the rules live in one place.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A member's role in a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpaceRole {
    /// Runs the space: everything a moderator does, plus roles, moderator invitations,
    /// removing anyone and deleting the space. A space always has at least one.
    Owner,
    /// Edits the space, invites members and removes plain members.
    Moderator,
    /// Belongs to the space.
    Member,
}

impl SpaceRole {
    /// Stored and API name.
    pub fn code(self) -> &'static str {
        match self {
            SpaceRole::Owner => "owner",
            SpaceRole::Moderator => "moderator",
            SpaceRole::Member => "member",
        }
    }

    /// The role named `code`, if any.
    pub fn parse(code: &str) -> Option<SpaceRole> {
        match code {
            "owner" => Some(SpaceRole::Owner),
            "moderator" => Some(SpaceRole::Moderator),
            "member" => Some(SpaceRole::Member),
            _ => None,
        }
    }

    /// A role read from the database. An unknown code can only come from a bug or a hand
    /// edit; it grants the least.
    pub(crate) fn from_stored(code: &str) -> SpaceRole {
        SpaceRole::parse(code).unwrap_or_else(|| {
            tracing::warn!(code, "unknown space role in the database, read as member");
            SpaceRole::Member
        })
    }

    /// Whether this role may change the space's name and description.
    pub fn can_edit(self) -> bool {
        matches!(self, SpaceRole::Owner | SpaceRole::Moderator)
    }

    /// Whether this role may see, create and revoke invitations.
    pub fn can_manage_invitations(self) -> bool {
        matches!(self, SpaceRole::Owner | SpaceRole::Moderator)
    }

    /// Whether this role may invite people into `role`. Nobody is invited as owner: owners
    /// are made by promoting a member.
    pub fn can_invite_as(self, role: SpaceRole) -> bool {
        match role {
            SpaceRole::Owner => false,
            SpaceRole::Moderator => self == SpaceRole::Owner,
            SpaceRole::Member => self.can_manage_invitations(),
        }
    }

    /// Whether this role may change other members' roles.
    pub fn can_change_roles(self) -> bool {
        self == SpaceRole::Owner
    }

    /// Whether this role may remove a member whose role is `target`.
    pub fn can_remove(self, target: SpaceRole) -> bool {
        match self {
            SpaceRole::Owner => true,
            SpaceRole::Moderator => target == SpaceRole::Member,
            SpaceRole::Member => false,
        }
    }

    /// Whether this role may delete the space.
    pub fn can_delete_space(self) -> bool {
        self == SpaceRole::Owner
    }

    /// Order in member lists: owners first.
    pub(crate) fn rank(self) -> u8 {
        match self {
            SpaceRole::Owner => 0,
            SpaceRole::Moderator => 1,
            SpaceRole::Member => 2,
        }
    }
}

impl std::fmt::Display for SpaceRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::SpaceRole::{self, Member, Moderator, Owner};

    #[test]
    fn codes_round_trip() {
        for role in [Owner, Moderator, Member] {
            assert_eq!(SpaceRole::parse(role.code()), Some(role));
        }
        assert_eq!(SpaceRole::parse("admin"), None);
        assert_eq!(SpaceRole::from_stored("admin"), Member);
    }

    #[test]
    fn owners_and_moderators_run_the_space_and_only_owners_make_moderators() {
        assert!(Owner.can_edit() && Moderator.can_edit() && !Member.can_edit());
        assert!(Owner.can_invite_as(Moderator) && !Moderator.can_invite_as(Moderator));
        assert!(Moderator.can_invite_as(Member) && !Member.can_invite_as(Member));
        assert!(!Owner.can_invite_as(Owner));
        assert!(Owner.can_change_roles() && !Moderator.can_change_roles());
        assert!(Owner.can_delete_space() && !Moderator.can_delete_space());
    }

    #[test]
    fn moderators_remove_plain_members_only() {
        assert!(Moderator.can_remove(Member));
        assert!(!Moderator.can_remove(Moderator) && !Moderator.can_remove(Owner));
        assert!(Owner.can_remove(Owner) && Owner.can_remove(Moderator));
        assert!(!Member.can_remove(Member));
    }
}

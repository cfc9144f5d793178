//! Who may open a pad, and who may manage it. Every permission check of the service asks one
//! of these questions, so the rules live in one place.

use maille_accounts::{CurrentUser, UserId};
use maille_database::UnixTime;
use maille_spaces::SpaceRole;
use serde::Serialize;
use utoipa::ToSchema;

use super::{Owner, PadRow, Via, Visibility};

/// What someone may do with a pad's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Read it and see who is there.
    Read,
    /// Edit it.
    Edit,
}

/// A logged-in user, as the rules need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    /// Their id.
    pub id: UserId,
    /// Whether they are someone of another instance, signed in with their home instance.
    pub remote: bool,
}

impl From<&CurrentUser> for SignedIn {
    fn from(user: &CurrentUser) -> SignedIn {
        SignedIn {
            id: user.id,
            remote: user.remote,
        }
    }
}

/// Who is asking: a logged-in user or nobody, and their role in the pad's owning space.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    /// The logged-in user (someone of another instance does not open `instance` pads).
    pub user: Option<SignedIn>,
    /// Their role in the space owning the pad, when it is a space's and they belong to it.
    pub space_role: Option<SpaceRole>,
}

/// What `viewer` may do with `pad`, reached through `via`, at `now`; `None` when they may not
/// open it at all. Expired pads open for nobody.
pub fn access(pad: &PadRow, via: Via, viewer: &Viewer, now: UnixTime) -> Option<Access> {
    if pad.expires_at.is_some_and(|at| at <= now) {
        return None;
    }
    let allowed = match pad.visibility() {
        Visibility::Private => match pad.owner() {
            Owner::User(owner) => viewer.user.is_some_and(|u| u.id == owner),
            Owner::Space(_) => viewer.space_role.is_some(),
            Owner::Nobody => false,
        },
        Visibility::Instance => viewer.user.is_some_and(|u| !u.remote),
        Visibility::Link | Visibility::Public => true,
    };
    allowed.then_some(match via {
        Via::EditId => Access::Edit,
        Via::ReadId => Access::Read,
    })
}

/// Whether `viewer`, who has `access` to `pad`, may rename it, change its visibility and
/// expiry, and move it to the trash: its owner, an owner or moderator of its space, or for a
/// pad owned by nobody, whoever holds its edit id.
pub fn can_manage(pad: &PadRow, access: Access, viewer: &Viewer) -> bool {
    match pad.owner() {
        Owner::User(owner) => viewer.user.is_some_and(|u| u.id == owner),
        Owner::Space(_) => matches!(
            viewer.space_role,
            Some(SpaceRole::Owner | SpaceRole::Moderator)
        ),
        Owner::Nobody => access == Access::Edit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: UnixTime = 1_000_000;

    fn pad(visibility: Visibility, user: Option<i64>, space: Option<i64>) -> PadRow {
        PadRow {
            id: "e".repeat(22),
            read_id: "r".repeat(22),
            title: String::new(),
            owner_user_id: user,
            owner_space_id: space,
            created_by: user,
            visibility: visibility.code().to_owned(),
            history: true,
            created_at: 0,
            updated_at: 0,
            expires_at: None,
            deleted_at: None,
        }
    }

    fn user(id: i64) -> Viewer {
        Viewer {
            user: Some(SignedIn {
                id: UserId(id),
                remote: false,
            }),
            space_role: None,
        }
    }

    fn remote_user(id: i64) -> Viewer {
        Viewer {
            user: Some(SignedIn {
                id: UserId(id),
                remote: true,
            }),
            space_role: None,
        }
    }

    fn member(id: i64, role: SpaceRole) -> Viewer {
        Viewer {
            space_role: Some(role),
            ..user(id)
        }
    }

    #[test]
    fn private_pads_open_for_their_owner_or_space_members_only() {
        let mine = pad(Visibility::Private, Some(1), None);
        assert_eq!(
            access(&mine, Via::EditId, &user(1), NOW),
            Some(Access::Edit)
        );
        assert_eq!(
            access(&mine, Via::ReadId, &user(1), NOW),
            Some(Access::Read)
        );
        assert_eq!(access(&mine, Via::EditId, &user(2), NOW), None);
        assert_eq!(access(&mine, Via::ReadId, &Viewer::default(), NOW), None);
        let shared = pad(Visibility::Private, Some(1), Some(7));
        assert_eq!(
            access(&shared, Via::EditId, &member(2, SpaceRole::Member), NOW),
            Some(Access::Edit)
        );
        assert_eq!(access(&shared, Via::EditId, &user(1), NOW), None);
    }

    #[test]
    fn instance_pads_open_for_anyone_logged_in_with_an_account_here() {
        let p = pad(Visibility::Instance, Some(1), None);
        assert_eq!(access(&p, Via::EditId, &user(9), NOW), Some(Access::Edit));
        assert_eq!(access(&p, Via::ReadId, &Viewer::default(), NOW), None);
        // Someone signed in with their home instance is not a user of this one...
        assert_eq!(access(&p, Via::ReadId, &remote_user(9), NOW), None);
        // ...but opens what their space, or their own name, gives them.
        let shared = pad(Visibility::Private, Some(1), Some(7));
        let remote_member = Viewer {
            space_role: Some(SpaceRole::Member),
            ..remote_user(9)
        };
        assert_eq!(
            access(&shared, Via::EditId, &remote_member, NOW),
            Some(Access::Edit)
        );
        let link = pad(Visibility::Link, Some(1), None);
        assert_eq!(
            access(&link, Via::ReadId, &remote_user(9), NOW),
            Some(Access::Read)
        );
    }

    #[test]
    fn link_and_public_pads_open_for_anyone_with_the_id_it_gives() {
        for v in [Visibility::Link, Visibility::Public] {
            let p = pad(v, None, None);
            let nobody = Viewer::default();
            assert_eq!(access(&p, Via::EditId, &nobody, NOW), Some(Access::Edit));
            assert_eq!(access(&p, Via::ReadId, &nobody, NOW), Some(Access::Read));
        }
    }

    #[test]
    fn expired_pads_open_for_nobody() {
        let mut p = pad(Visibility::Link, Some(1), None);
        p.expires_at = Some(NOW);
        assert_eq!(access(&p, Via::EditId, &user(1), NOW), None);
        p.expires_at = Some(NOW + 1);
        assert_eq!(access(&p, Via::EditId, &user(1), NOW), Some(Access::Edit));
    }

    #[test]
    fn owners_and_space_moderators_manage() {
        let mine = pad(Visibility::Link, Some(1), None);
        assert!(can_manage(&mine, Access::Edit, &user(1)));
        assert!(!can_manage(&mine, Access::Edit, &user(2)));
        let shared = pad(Visibility::Link, Some(1), Some(7));
        assert!(can_manage(
            &shared,
            Access::Edit,
            &member(2, SpaceRole::Owner)
        ));
        assert!(can_manage(
            &shared,
            Access::Read,
            &member(2, SpaceRole::Moderator)
        ));
        assert!(!can_manage(
            &shared,
            Access::Edit,
            &member(2, SpaceRole::Member)
        ));
        let anonymous = pad(Visibility::Link, None, None);
        assert!(can_manage(&anonymous, Access::Edit, &Viewer::default()));
        assert!(!can_manage(&anonymous, Access::Read, &Viewer::default()));
    }
}

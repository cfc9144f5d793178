//! Who moderates a room and who manages its record. Every permission check of the service
//! asks one of these questions, so the rules live in one place.

use maille_accounts::UserId;
use maille_spaces::SpaceRole;

use super::{Owner, RoomRow};

/// Who is asking: a logged-in user or nobody, their role in the room's space, whether the
/// owner named them moderator, and whether they hold the room's moderator key.
#[derive(Debug, Clone, Default)]
pub struct Asker {
    /// The logged-in user.
    pub user: Option<UserId>,
    /// Their role in the space owning the room, when it is a space's and they belong to it.
    pub space_role: Option<SpaceRole>,
    /// Whether the owner named them moderator.
    pub named: bool,
    /// Whether they gave the moderator key of an anonymous room.
    pub holds_key: bool,
}

/// Whether `asker` moderates `room` (and may change or delete it): its owner, an owner or
/// moderator of its space, someone the owner named, or for a room owned by nobody, whoever
/// holds its moderator key.
pub fn is_moderator(room: &RoomRow, asker: &Asker) -> bool {
    if asker.named && asker.user.is_some() {
        return true;
    }
    match room.owner() {
        Owner::User(owner) => asker.user == Some(owner),
        Owner::Space(_) => matches!(
            asker.space_role,
            Some(SpaceRole::Owner | SpaceRole::Moderator)
        ),
        Owner::Nobody => asker.holds_key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(user: Option<i64>, space: Option<i64>) -> RoomRow {
        RoomRow {
            id: "r".repeat(22),
            name: "Weekly".into(),
            owner_user_id: user,
            owner_space_id: space,
            created_by: user,
            password_hash: None,
            moderator_key_hash: None,
            lobby: false,
            max_participants: 50,
            locked: false,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn user(id: i64) -> Asker {
        Asker {
            user: Some(UserId(id)),
            ..Asker::default()
        }
    }

    #[test]
    fn owners_space_moderators_named_users_and_key_holders_moderate() {
        let mine = room(Some(1), None);
        assert!(is_moderator(&mine, &user(1)));
        assert!(!is_moderator(&mine, &user(2)));
        assert!(is_moderator(
            &mine,
            &Asker {
                named: true,
                ..user(2)
            }
        ));
        // Named moderators are users: a guest cannot be one.
        assert!(!is_moderator(
            &mine,
            &Asker {
                named: true,
                ..Asker::default()
            }
        ));
        let shared = room(Some(1), Some(7));
        for (role, moderates) in [
            (SpaceRole::Owner, true),
            (SpaceRole::Moderator, true),
            (SpaceRole::Member, false),
        ] {
            let asker = Asker {
                space_role: Some(role),
                ..user(3)
            };
            assert_eq!(is_moderator(&shared, &asker), moderates);
        }
        let anonymous = room(None, None);
        assert!(!is_moderator(&anonymous, &Asker::default()));
        assert!(is_moderator(
            &anonymous,
            &Asker {
                holds_key: true,
                ..Asker::default()
            }
        ));
        // A key means nothing for a room that has an owner.
        assert!(!is_moderator(
            &mine,
            &Asker {
                holds_key: true,
                ..user(2)
            }
        ));
    }
}

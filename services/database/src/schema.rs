// The one portable schema of every table, for both backends. Each table belongs to one service
// (named above it); other services reach its data only through that service's Rust API.
// `scripts/check-schema` checks it against the migrations of both backends.

// accounts
diesel::table! {
    handles (handle) {
        handle -> Text,
        kind -> Text,
        created_at -> BigInt,
    }
}

// accounts
diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        email_verified -> Bool,
        display_name -> Text,
        password_hash -> Text,
        language -> Text,
        role -> Text,
        approved -> Bool,
        disabled -> Bool,
        registration_reason -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_login_at -> Nullable<BigInt>,
        remote_actor_id -> Nullable<Text>,
    }
}

// accounts
diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        user_agent -> Text,
        address -> Text,
    }
}

// accounts
diesel::table! {
    account_tokens (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        purpose -> Text,
        email -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

// accounts
diesel::table! {
    invites (code) {
        code -> Text,
        created_by -> Nullable<BigInt>,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

// accounts
diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

// spaces
diesel::table! {
    spaces (id) {
        id -> BigInt,
        handle -> Text,
        display_name -> Text,
        description -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

// spaces
diesel::table! {
    space_members (space_id, user_id) {
        space_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        joined_at -> BigInt,
    }
}

// spaces
diesel::table! {
    space_invitations (id) {
        id -> BigInt,
        space_id -> BigInt,
        token_hash -> Text,
        email -> Nullable<Text>,
        role -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
        expires_at -> BigInt,
        accepted_by -> Nullable<BigInt>,
        accepted_at -> Nullable<BigInt>,
    }
}

// pads
diesel::table! {
    pads (id) {
        id -> Text,
        read_id -> Text,
        title -> Text,
        owner_user_id -> Nullable<BigInt>,
        owner_space_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        visibility -> Text,
        history -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        expires_at -> Nullable<BigInt>,
        deleted_at -> Nullable<BigInt>,
    }
}

// pads
diesel::table! {
    pad_documents (pad_id) {
        pad_id -> Text,
        state -> Binary,
        last_seq -> BigInt,
        updated_at -> BigInt,
    }
}

// pads
diesel::table! {
    pad_updates (pad_id, seq) {
        pad_id -> Text,
        seq -> BigInt,
        data -> Binary,
        created_at -> BigInt,
    }
}

// pads
diesel::table! {
    pad_versions (id) {
        id -> BigInt,
        pad_id -> Text,
        name -> Text,
        automatic -> Bool,
        state -> Binary,
        created_by -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

// rooms
diesel::table! {
    rooms (id) {
        id -> Text,
        name -> Text,
        owner_user_id -> Nullable<BigInt>,
        owner_space_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        password_hash -> Nullable<Text>,
        moderator_key_hash -> Nullable<Text>,
        lobby -> Bool,
        max_participants -> BigInt,
        locked -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        public -> Bool,
    }
}

// rooms
diesel::table! {
    room_moderators (room_id, user_id) {
        room_id -> Text,
        user_id -> BigInt,
    }
}

// federation
diesel::table! {
    federation_local_actors (kind, local_id) {
        kind -> Text,
        local_id -> BigInt,
        public_key_pem -> Text,
        private_key_pem -> Text,
        manual_approval -> Bool,
        created_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_remote_actors (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        username -> Text,
        domain -> Text,
        display_name -> Text,
        summary -> Text,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        url -> Nullable<Text>,
        icon -> Nullable<Text>,
        public_key_pem -> Text,
        fetched_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_follows (id) {
        id -> BigInt,
        direction -> Text,
        local_kind -> Text,
        local_id -> BigInt,
        remote_actor_id -> BigInt,
        state -> Text,
        follow_activity_id -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_deliveries (id) {
        id -> BigInt,
        domain -> Text,
        seq -> BigInt,
        inbox -> Text,
        activity_id -> Text,
        actor_kind -> Text,
        actor_local_id -> BigInt,
        body -> Text,
        attempts -> Integer,
        last_error -> Text,
        created_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_received (activity_id) {
        activity_id -> Text,
        received_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_instances (domain) {
        domain -> Text,
        state -> Text,
        failures -> Integer,
        first_failure_at -> Nullable<BigInt>,
        next_attempt_at -> BigInt,
        last_success_at -> Nullable<BigInt>,
        last_error -> Text,
        updated_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_domain_policies (domain) {
        domain -> Text,
        policy -> Text,
        reason -> Text,
        created_at -> BigInt,
    }
}

// outbox (written by pads and rooms, taken by federation)
diesel::table! {
    outbox_events (id) {
        id -> BigInt,
        seq -> BigInt,
        topic -> Text,
        payload -> Text,
        created_at -> BigInt,
    }
}

// federation
diesel::table! {
    federation_feed (id) {
        id -> BigInt,
        object_id -> Text,
        remote_actor_id -> BigInt,
        author -> Text,
        author_name -> Text,
        kind -> Text,
        title -> Text,
        summary -> Text,
        url -> Text,
        published_at -> BigInt,
        updated_at -> BigInt,
        received_at -> BigInt,
    }
}

// federation (sign-in with a home instance)
diesel::table! {
    federation_sign_in_requests (nonce_hash) {
        nonce_hash -> Text,
        browser_hash -> Text,
        actor_id -> Text,
        return_to -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(space_members -> spaces (space_id));
diesel::joinable!(space_members -> users (user_id));
diesel::joinable!(space_invitations -> spaces (space_id));
diesel::joinable!(pad_documents -> pads (pad_id));
diesel::joinable!(pad_updates -> pads (pad_id));
diesel::joinable!(pad_versions -> pads (pad_id));
diesel::joinable!(room_moderators -> rooms (room_id));

diesel::joinable!(federation_follows -> federation_remote_actors (remote_actor_id));
diesel::joinable!(federation_feed -> federation_remote_actors (remote_actor_id));

diesel::allow_tables_to_appear_in_same_query!(
    handles,
    users,
    sessions,
    account_tokens,
    invites,
    instance_settings,
    spaces,
    space_members,
    space_invitations,
    pads,
    pad_documents,
    pad_updates,
    pad_versions,
    federation_local_actors,
    federation_remote_actors,
    federation_follows,
    federation_deliveries,
    federation_received,
    federation_instances,
    federation_domain_policies,
    federation_feed,
    federation_sign_in_requests,
    outbox_events,
    rooms,
    room_moderators,
);

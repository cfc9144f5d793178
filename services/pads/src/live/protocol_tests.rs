use proptest::prelude::*;

use super::*;

#[test]
fn var_uints_round_trip_like_lib0() {
    for value in [
        0u64,
        1,
        127,
        128,
        300,
        16_383,
        16_384,
        u64::from(u32::MAX),
        u64::MAX,
    ] {
        let mut out = Vec::new();
        write_var_uint(&mut out, value);
        let mut reader = Reader::new(&out);
        assert_eq!(reader.var_uint(), Ok(value));
        assert_eq!(reader.finish(), Ok(()));
    }
    // lib0 encodes 300 as [0xac, 0x02].
    let mut out = Vec::new();
    write_var_uint(&mut out, 300);
    assert_eq!(out, [0xac, 0x02]);
}

#[test]
fn sync_messages_round_trip() {
    assert_eq!(
        decode(&sync_step_1(&[1, 2, 3])),
        Ok(ClientMessage::SyncStep1(vec![1, 2, 3]))
    );
    assert_eq!(
        decode(&sync_step_2(&[4])),
        Ok(ClientMessage::SyncStep2(vec![4]))
    );
    assert_eq!(decode(&update(&[])), Ok(ClientMessage::Update(vec![])));
    assert_eq!(
        decode(&awareness(&[9, 9])),
        Ok(ClientMessage::Awareness(vec![9, 9]))
    );
    assert_eq!(decode(&[3]), Ok(ClientMessage::QueryAwareness));
}

#[test]
fn malformed_messages_are_refused() {
    assert_eq!(decode(&[]), Err(DecodeError::Truncated));
    assert_eq!(decode(&[0x80]), Err(DecodeError::Truncated));
    assert_eq!(decode(&[0, 0, 5, 1]), Err(DecodeError::Truncated));
    assert_eq!(decode(&[0, 7, 0]), Err(DecodeError::UnknownType(7)));
    assert_eq!(decode(&[42]), Err(DecodeError::UnknownType(42)));
    assert_eq!(decode(&[3, 0]), Err(DecodeError::TrailingBytes));
    assert_eq!(decode(&[2, 0, 0]), Err(DecodeError::UnknownType(2)));
    let mut huge = vec![0xffu8; 11];
    huge.push(0);
    assert_eq!(decode(&huge), Err(DecodeError::IntegerTooLarge));
    // A length far beyond the message.
    assert_eq!(
        decode(&[0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn awareness_updates_round_trip() {
    let entries = vec![
        AwarenessEntry {
            client: 12,
            clock: 3,
            state: r#"{"user":{"name":"Ada"}}"#.into(),
        },
        AwarenessEntry {
            client: 1 << 40,
            clock: 0,
            state: "null".into(),
        },
    ];
    let encoded = encode_awareness(&entries);
    assert_eq!(decode_awareness(&encoded), Ok(entries));
    assert_eq!(
        decode_awareness(&[1, 1, 1, 1, b'{']),
        Err(DecodeError::InvalidText)
    );
    assert_eq!(decode_awareness(&[200, 1]), Err(DecodeError::Truncated));
}

#[test]
fn permission_denied_and_acks_are_encoded_as_documented() {
    assert_eq!(permission_denied("no"), vec![2, 0, 2, b'n', b'o']);
    assert_eq!(ack(300), vec![100, 0xac, 0x02]);
}

proptest! {
    #[test]
    fn decoding_random_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode(&bytes);
        let _ = decode_awareness(&bytes);
    }

    #[test]
    fn encoded_updates_decode_back(payload in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(decode(&update(&payload)), Ok(ClientMessage::Update(payload.clone())));
        prop_assert_eq!(decode(&sync_step_2(&payload)), Ok(ClientMessage::SyncStep2(payload)));
    }
}

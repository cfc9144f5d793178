//! The signalling protocol's messages (see `docs/protocols/rooms.md`). What clients send is
//! decoded strictly: unknown types, unknown or missing fields and wrong types are refused.

use serde::{Deserialize, Serialize};
use webrtc::peer_connection::RTCIceCandidateInit;

use crate::sfu::{Pc, Source};

/// Largest message a client may send, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Longest display name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// Longest chat message, in characters.
pub const CHAT_MAX_CHARS: usize = 2000;
/// Longest SDP accepted, in bytes (below the message limit, stated for clarity).
pub const SDP_MAX_BYTES: usize = 60 * 1024;

/// A media section of a publish offer and what it carries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishedTrack {
    /// The media section's `mid`.
    pub mid: String,
    /// What it carries.
    pub source: Source,
}

/// An ICE candidate as browsers give it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// The `candidate:` line.
    pub candidate: String,
    /// Its media section.
    #[serde(rename = "sdpMid", default)]
    pub sdp_mid: Option<String>,
    /// Its media section's index.
    #[serde(rename = "sdpMLineIndex", default)]
    pub sdp_mline_index: Option<u16>,
    /// Its ICE username fragment.
    #[serde(rename = "usernameFragment", default)]
    pub username_fragment: Option<String>,
}

impl Candidate {
    /// As the `webrtc` crate takes it.
    pub fn to_init(&self) -> RTCIceCandidateInit {
        RTCIceCandidateInit {
            candidate: self.candidate.clone(),
            sdp_mid: self.sdp_mid.clone(),
            sdp_mline_index: self.sdp_mline_index,
            username_fragment: self.username_fragment.clone(),
            ..Default::default()
        }
    }
}

/// A moderator's command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Mute a source of someone.
    Mute,
    /// Remove someone.
    Remove,
    /// Refuse newcomers.
    Lock,
    /// Accept newcomers again.
    Unlock,
    /// Let someone in from the lobby.
    Admit,
    /// Send someone in the lobby away.
    Refuse,
    /// End the meeting for everyone.
    End,
}

/// A message from a client.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Join the room.
    Join {
        /// Display name.
        #[serde(default)]
        name: Option<String>,
        /// The room's password.
        #[serde(default)]
        password: Option<String>,
        /// An anonymous room's moderator key.
        #[serde(default)]
        moderator_key: Option<String>,
    },
    /// An SDP offer (publish connection).
    Offer {
        /// Which connection.
        pc: Pc,
        /// The SDP.
        sdp: String,
        /// What each media section carries.
        #[serde(default)]
        tracks: Vec<PublishedTrack>,
    },
    /// An SDP answer (subscribe connection).
    Answer {
        /// Which connection.
        pc: Pc,
        /// The SDP.
        sdp: String,
    },
    /// An ICE candidate, or `null` at the end of candidates.
    Candidate {
        /// Which connection.
        pc: Pc,
        /// The candidate.
        candidate: Option<Candidate>,
    },
    /// Restart ICE on the subscribe connection.
    RestartIce {},
    /// The size at which I show someone's video.
    VideoSize {
        /// Whose.
        participant_id: String,
        /// Which source.
        source: Source,
        /// Width in pixels (0: not shown).
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// I muted or unmuted a source.
    Mute {
        /// Which.
        source: Source,
        /// Muted or not.
        muted: bool,
    },
    /// Raise or lower my hand.
    Hand {
        /// Raised or not.
        raised: bool,
    },
    /// A chat message.
    Chat {
        /// Its text.
        text: String,
    },
    /// I am leaving.
    Leave {},
    /// A moderator's command.
    Moderate {
        /// What to do.
        action: Action,
        /// To whom.
        #[serde(default)]
        participant_id: Option<String>,
        /// Which source (for `mute`).
        #[serde(default)]
        source: Option<Source>,
    },
    /// Are you there?
    Ping {},
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// Decodes one text message.
pub fn decode(text: &str) -> Result<ClientMessage, Refusal> {
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal("message over 64 KiB".into()));
    }
    let message: ClientMessage =
        serde_json::from_str(text).map_err(|e| Refusal(format!("bad message: {e}")))?;
    check(&message)?;
    Ok(message)
}

fn check(message: &ClientMessage) -> Result<(), Refusal> {
    let refuse = |why: &str| Err(Refusal(why.to_owned()));
    match message {
        ClientMessage::Offer { pc, sdp, tracks } => {
            if *pc != Pc::Publish {
                return refuse("clients offer on the publish connection only");
            }
            if sdp.len() > SDP_MAX_BYTES || tracks.len() > 16 {
                return refuse("offer too large");
            }
            if tracks.iter().any(|t| t.mid.len() > 32) {
                return refuse("mid too long");
            }
        }
        ClientMessage::Answer { pc, sdp } => {
            if *pc != Pc::Subscribe {
                return refuse("clients answer on the subscribe connection only");
            }
            if sdp.len() > SDP_MAX_BYTES {
                return refuse("answer too large");
            }
        }
        ClientMessage::Candidate {
            candidate: Some(c), ..
        } if c.candidate.len() > 1024 => return refuse("candidate too long"),
        ClientMessage::Chat { text } => {
            let chars = text.trim().chars().count();
            if chars == 0 || chars > CHAT_MAX_CHARS {
                return refuse("chat: 1 to 2,000 characters");
            }
        }
        ClientMessage::VideoSize { width, height, .. } if *width > 16_384 || *height > 16_384 => {
            return refuse("video_size: too large")
        }
        _ => {}
    }
    Ok(())
}

/// A display name as given, trimmed and checked.
pub fn display_name(name: &str) -> Option<String> {
    let name: String = name.trim().to_owned();
    let chars = name.chars().count();
    ((1..=NAME_MAX_CHARS).contains(&chars) && !name.chars().any(char::is_control)).then_some(name)
}

/// A participant as others see them.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantView {
    /// Id in this meeting.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `moderator` or `participant`.
    pub role: &'static str,
    /// Microphone muted.
    pub audio_muted: bool,
    /// Camera off.
    pub video_muted: bool,
    /// Sharing a screen.
    pub screen: bool,
    /// Hand raised.
    pub hand: bool,
}

/// The room as participants see it.
#[derive(Debug, Clone, Serialize)]
pub struct RoomInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Newcomers refused.
    pub locked: bool,
    /// Newcomers wait in a lobby.
    pub lobby: bool,
    /// Most participants.
    pub max_participants: u32,
}

/// A chat message as kept and sent.
#[derive(Debug, Clone, Serialize)]
pub struct ChatLine {
    /// Sender's participant id.
    pub from: String,
    /// Sender's name.
    pub name: String,
    /// Text.
    pub text: String,
    /// When, RFC 3339.
    pub at: String,
}

/// A subscribe offer's media section and whose media it carries.
#[derive(Debug, Clone, Serialize)]
pub struct SubscribedTrack {
    /// Its `mid`.
    pub mid: String,
    /// Whose media.
    pub participant_id: String,
    /// Which source.
    pub source: Source,
}

/// Someone waiting in the lobby.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    /// Participant id they will have.
    pub id: String,
    /// Name.
    pub name: String,
}

/// A message to a client.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    /// Wait in the lobby.
    Lobby {},
    /// Joined.
    Joined {
        /// My id.
        participant_id: &'a str,
        /// My role.
        role: &'static str,
        /// The room.
        room: &'a RoomInfo,
        /// The others.
        participants: Vec<ParticipantView>,
        /// ICE servers to use.
        ice_servers: &'a [crate::turn::IceServer],
        /// The chat so far.
        chat: Vec<&'a ChatLine>,
    },
    /// An SDP answer.
    Answer {
        /// Which connection.
        pc: Pc,
        /// The SDP.
        sdp: &'a str,
    },
    /// An SDP offer.
    Offer {
        /// Which connection.
        pc: Pc,
        /// The SDP.
        sdp: &'a str,
        /// Whose media each section carries.
        tracks: &'a [SubscribedTrack],
    },
    /// Someone joined.
    ParticipantJoined {
        /// Who.
        participant: ParticipantView,
    },
    /// Someone left.
    ParticipantLeft {
        /// Who.
        participant_id: &'a str,
        /// Why.
        reason: &'a str,
    },
    /// Someone changed.
    ParticipantUpdated {
        /// Who, now.
        participant: ParticipantView,
    },
    /// The loudest speaker changed.
    ActiveSpeaker {
        /// Who.
        participant_id: &'a str,
    },
    /// A chat message.
    Chat(&'a ChatLine),
    /// The room changed.
    RoomUpdated {
        /// The room now.
        room: &'a RoomInfo,
    },
    /// Who waits in the lobby.
    LobbyWaiting {
        /// Them.
        waiting: &'a [Waiting],
    },
    /// A moderator muted me.
    MutedByModerator {
        /// Which source.
        source: Source,
    },
    /// The end of this connection.
    Closed {
        /// `removed`, `ended` or `refused`.
        reason: &'a str,
    },
    /// A refusal.
    Error {
        /// Stable code.
        code: &'a str,
        /// For people.
        message: &'a str,
        /// Whether the connection closes after it.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        fatal: bool,
    },
    /// Answer to a ping.
    Pong {},
}

impl ServerMessage<'_> {
    /// As JSON text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{\"type\":\"error\"}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_decode_strictly() {
        assert!(matches!(
            decode(r#"{"type":"join","name":"Camille"}"#),
            Ok(ClientMessage::Join { .. })
        ));
        assert!(matches!(
            decode(r#"{"type":"ping"}"#),
            Ok(ClientMessage::Ping {})
        ));
        for bad in [
            "",
            "garbage",
            "[]",
            r#"{"type":"dance"}"#,
            r#"{"type":"chat"}"#,
            r#"{"type":"chat","text":""}"#,
            r#"{"type":"chat","text":"hi","extra":1}"#,
            r#"{"type":"hand","raised":"yes"}"#,
            r#"{"type":"offer","pc":"subscribe","sdp":"v=0"}"#,
            r#"{"type":"answer","pc":"publish","sdp":"v=0"}"#,
            r#"{"type":"mute","source":"toaster","muted":true}"#,
            r#"{"type":"moderate","action":"explode"}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad} accepted");
        }
        let long = format!(r#"{{"type":"chat","text":"{}"}}"#, "a".repeat(70_000));
        assert!(decode(&long).is_err());
        let candidate = decode(
            r#"{"type":"candidate","pc":"publish","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        );
        assert!(matches!(candidate, Ok(ClientMessage::Candidate { .. })));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(display_name("  Camille "), Some("Camille".into()));
        assert_eq!(display_name("   "), None);
        assert_eq!(display_name(&"x".repeat(65)), None);
        assert_eq!(display_name("a\u{7}b"), None);
    }
}

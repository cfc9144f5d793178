//! Maille's configuration: one typed [`Settings`] struct, loaded in layers (defaults, then a
//! TOML file, then `MAILLE_*` environment variables), validated at start, unknown keys refused.
//!
//! The commented example (`maille config example`) and `docs/configuration.md` are generated
//! from this struct's doc comments and defaults (see [`reference`]), and tests keep the
//! committed copies current.

mod load;
pub mod reference;
mod settings;

pub use load::{load, load_from, ConfigError, ENV_PREFIX};
pub use settings::*;

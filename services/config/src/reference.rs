//! The configuration's reference, generated from [`Settings`]: its doc comments (through the
//! JSON schema that `schemars` derives) and its defaults. `maille config example` prints
//! [`example_toml`]; `docs/configuration.md` is [`markdown`]. Tests fail when the committed
//! copies are stale; regenerate them with `UPDATE_DOCS=1 cargo test -p maille-config`.

use schemars::schema::{RootSchema, Schema, SchemaObject};
use serde_json::Value;

use crate::{Settings, ENV_PREFIX};

/// One configuration key.
#[derive(Debug, Clone)]
pub struct Key {
    /// Dotted path, e.g. `accounts.registration`.
    pub path: Vec<String>,
    /// What it is for (its doc comment).
    pub description: String,
    /// Default value, as TOML; `None` when the key is unset by default.
    pub default: Option<String>,
}

impl Key {
    /// The environment variable that overrides this key.
    pub fn env_var(&self) -> String {
        format!("{ENV_PREFIX}{}", self.path.join("__").to_ascii_uppercase())
    }
}

/// A table of keys (`[accounts]`), with its description.
#[derive(Debug, Clone)]
pub struct Section {
    /// Dotted path of the table; empty for the top level.
    pub path: Vec<String>,
    /// What the table is for.
    pub description: String,
    /// Whether the whole table is absent by default (such as `[mail.smtp]`).
    pub optional: bool,
    /// Its keys.
    pub keys: Vec<Key>,
}

/// Every section of the configuration, top level first, in declaration order.
pub fn sections() -> Vec<Section> {
    let root = schemars::schema_for!(Settings);
    let defaults = serde_json::to_value(Settings::default()).unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(
        &root,
        &root.schema,
        &defaults,
        Vec::new(),
        String::new(),
        false,
        &mut out,
    );
    out
}

fn resolve<'a>(root: &'a RootSchema, schema: &'a SchemaObject) -> &'a SchemaObject {
    if let Some(reference) = &schema.reference {
        let name = reference.trim_start_matches("#/definitions/");
        if let Some(Schema::Object(def)) = root.definitions.get(name) {
            return def;
        }
    }
    if let Some(subs) = &schema.subschemas {
        for list in [&subs.all_of, &subs.any_of, &subs.one_of]
            .into_iter()
            .flatten()
        {
            for sub in list {
                if let Schema::Object(obj) = sub {
                    let resolved = resolve(root, obj);
                    if resolved.object.is_some() {
                        return resolved;
                    }
                }
            }
        }
    }
    schema
}

fn description_of(schema: &SchemaObject) -> String {
    schema
        .metadata
        .as_ref()
        .and_then(|m| m.description.clone())
        .unwrap_or_default()
        .replace('\n', " ")
}

fn walk(
    root: &RootSchema,
    schema: &SchemaObject,
    defaults: &Value,
    path: Vec<String>,
    description: String,
    optional: bool,
    out: &mut Vec<Section>,
) {
    let object = resolve(root, schema);
    let Some(validation) = &object.object else {
        return;
    };
    let mut section = Section {
        path: path.clone(),
        description,
        optional,
        keys: Vec::new(),
    };
    let mut nested = Vec::new();
    for (name, property) in &validation.properties {
        let Schema::Object(property) = property else {
            continue;
        };
        let mut key_path = path.clone();
        key_path.push(name.clone());
        let target = resolve(root, property);
        let default = defaults.get(name).cloned().unwrap_or(Value::Null);
        let text = description_of(property);
        let text = if text.is_empty() {
            description_of(target)
        } else {
            text
        };
        if target.object.is_some() {
            nested.push((target, default, key_path, text));
        } else {
            section.keys.push(Key {
                path: key_path,
                description: text,
                default: toml_value(&default),
            });
        }
    }
    out.push(section);
    for (target, default, key_path, text) in nested {
        let optional = default.is_null();
        let defaults = if optional {
            // An absent table is shown with its fields' own defaults.
            field_defaults(root, target)
        } else {
            default
        };
        walk(root, target, &defaults, key_path, text, optional, out);
    }
}

fn field_defaults(root: &RootSchema, schema: &SchemaObject) -> Value {
    let mut map = serde_json::Map::new();
    if let Some(validation) = &resolve(root, schema).object {
        for (name, property) in &validation.properties {
            if let Schema::Object(p) = property {
                if let Some(value) = p.metadata.as_ref().and_then(|m| m.default.clone()) {
                    map.insert(name.clone(), value);
                }
            }
        }
    }
    Value::Object(map)
}

fn toml_value(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(toml::Value::String(s.clone()).to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => Some(format!(
            "[{}]",
            items
                .iter()
                .filter_map(toml_value)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Value::Object(_) => None,
    }
}

fn wrap_comment(text: &str, prefix: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 92 {
            lines.push(format!("{prefix}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{prefix}{line}"));
    }
    lines.join("\n")
}

/// The commented example configuration: every key with its description, its environment
/// variable and its default value.
pub fn example_toml() -> String {
    let mut out = String::from(
        "# Maille configuration file (TOML).\n\
         #\n\
         # Every key is optional: the values below are the defaults. Each key can also be set\n\
         # by an environment variable, which wins over this file. Unknown keys are refused.\n\
         # Generated by `maille config example`.\n",
    );
    for section in sections() {
        out.push('\n');
        let comment_out = section.optional;
        if !section.path.is_empty() {
            out.push_str(&wrap_comment(&section.description, "# "));
            out.push('\n');
            if comment_out {
                out.push_str("# (absent by default; remove the leading `# ` to use it)\n");
                out.push_str(&format!("# [{}]\n", section.path.join(".")));
            } else {
                out.push_str(&format!("[{}]\n", section.path.join(".")));
            }
        }
        for key in &section.keys {
            out.push_str(&wrap_comment(&key.description, "# "));
            out.push('\n');
            out.push_str(&format!("# Environment: {}\n", key.env_var()));
            let name = key.path.last().cloned().unwrap_or_default();
            match &key.default {
                Some(value) if !comment_out => out.push_str(&format!("{name} = {value}\n")),
                Some(value) => out.push_str(&format!("# {name} = {value}\n")),
                None => out.push_str(&format!("# {name} = \"\"\n")),
            }
        }
    }
    out
}

/// `docs/configuration.md`: a table of every key.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Maille reads one TOML file (`maille serve --config /etc/maille/maille.toml`), then\n\
         environment variables named `MAILLE_` + the key in capitals, with `__` between a table\n\
         and its key (`MAILLE_ACCOUNTS__REGISTRATION=closed`). The environment wins over the file;\n\
         every key is optional. An unknown key or an invalid value stops Maille at start with a\n\
         message naming the key. `maille config example` prints a commented file with every\n\
         default.\n\n\
         This page is generated from the configuration struct (`services/config/src/settings.rs`);\n\
         a test fails when it is stale. Regenerate it with\n\
         `UPDATE_DOCS=1 cargo test -p maille-config`.\n",
    );
    for section in sections() {
        out.push('\n');
        if section.path.is_empty() {
            out.push_str("## Top level\n\n");
        } else {
            out.push_str(&format!("## `[{}]`\n\n", section.path.join(".")));
            out.push_str(&section.description);
            if section.optional {
                out.push_str(" Absent by default.");
            }
            out.push_str("\n\n");
        }
        out.push_str("| key | environment variable | default | meaning |\n|---|---|---|---|\n");
        for key in &section.keys {
            out.push_str(&format!(
                "| `{}` | `{}` | {} | {} |\n",
                key.path.last().cloned().unwrap_or_default(),
                key.env_var(),
                key.default
                    .as_ref()
                    .map(|d| format!("`{}`", d.replace('|', "\\|")))
                    .unwrap_or_else(|| "(unset)".to_owned()),
                key.description.replace('|', "\\|"),
            ));
        }
    }
    out
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;

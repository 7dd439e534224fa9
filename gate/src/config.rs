//! What an institution configures for its gates (`[tenants.gate]` in the shop's TOML file).

use serde::Deserialize;

/// One institution's access control. Its `Debug` leaves the password hashes out.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    /// The lists to sync, as the institution gives them (seed 002: `seasonCode` and
    /// `productCode`); no products = every product of the season.
    pub lists: Vec<ListScope>,
    /// The gates of the venue and the entrance codes each one lets in. S-360 gives one
    /// entrance per seat; a seat reachable from several gates is configured here.
    pub gates: Vec<GateDef>,
    /// Tariffs (`audienceSubCategoryCode`) whose holders the steward checks (age, student
    /// card): the scan shows amber with the holder's name and birth date.
    #[serde(default)]
    pub attention_tariffs: Vec<String>,
    /// Who may log in to `/gate`; separate from the buyers' accounts.
    #[serde(default)]
    pub stewards: Vec<StewardConfig>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ListScope {
    pub season: String,
    #[serde(default)]
    pub products: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GateDef {
    /// Short code, reported to S-360 in `acIdentifier` (`A`).
    pub code: String,
    /// What stewards and buyers read (`Gate A – Main stand`).
    pub name: String,
    /// Entrance codes (`entranceCode`) this gate admits; empty = every entrance.
    #[serde(default)]
    pub entrances: Vec<String>,
}

#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StewardConfig {
    pub name: String,
    /// An Argon2id hash in PHC format (`shop hash-password` prints one).
    pub password_hash: String,
    /// A head steward also sees the overview, opens the doors for an event and starts a sync.
    #[serde(default)]
    pub head: bool,
}

impl std::fmt::Debug for GateConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GateConfig")
            .field("lists", &self.lists)
            .field("gates", &self.gates)
            .field("attention_tariffs", &self.attention_tariffs)
            .field(
                "stewards",
                &self
                    .stewards
                    .iter()
                    .map(|s| (&s.name, s.head))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl GateConfig {
    /// Checks what a start would otherwise trip over later; the message names the setting.
    pub fn validate(&self, institution: &str) -> Result<(), String> {
        let at = format!("tenants.gate ({institution})");
        if self.lists.is_empty() {
            return Err(format!("{at}: lists: at least one season to sync"));
        }
        for l in &self.lists {
            if l.season.is_empty() || l.season.len() > 8 {
                return Err(format!(
                    "{at}: lists.season: 1 to 8 characters, got {:?}",
                    l.season
                ));
            }
        }
        if self.gates.is_empty() {
            return Err(format!("{at}: gates: at least one gate"));
        }
        let mut codes = std::collections::HashSet::new();
        for g in &self.gates {
            if g.code.is_empty()
                || g.code.len() > 16
                || !g
                    .code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "{at}: gates.code: 1 to 16 letters, digits, - or _, got {:?}",
                    g.code
                ));
            }
            if !codes.insert(g.code.as_str()) {
                return Err(format!("{at}: gates.code: {:?} appears twice", g.code));
            }
            if g.name.trim().is_empty() {
                return Err(format!("{at}: gates.name: empty for gate {:?}", g.code));
            }
        }
        let mut names = std::collections::HashSet::new();
        for s in &self.stewards {
            if s.name.trim().is_empty() {
                return Err(format!("{at}: stewards.name: empty"));
            }
            if !names.insert(s.name.as_str()) {
                return Err(format!("{at}: stewards.name: {:?} appears twice", s.name));
            }
            argon2::PasswordHash::new(&s.password_hash).map_err(|e| {
                format!(
                    "{at}: stewards.password_hash of {:?}: not a PHC hash ({e}); make one with `shop hash-password`",
                    s.name
                )
            })?;
        }
        Ok(())
    }

    pub fn gate(&self, code: &str) -> Option<&GateDef> {
        self.gates.iter().find(|g| g.code == code)
    }

    /// The gates that admit an entrance code.
    pub fn gates_for(&self, entrance: &str) -> Vec<&GateDef> {
        self.gates
            .iter()
            .filter(|g| g.entrances.iter().any(|e| e == entrance))
            .collect()
    }
}

/// An Argon2id hash of a password, in PHC format.
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>()).expect("16 bytes of salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string()
}

/// Whether a password matches a PHC hash (constant time in the crate).
pub fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::PasswordHash::new(hash).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> GateConfig {
        GateConfig {
            lists: vec![ListScope {
                season: "PLAY26".into(),
                products: vec![],
            }],
            gates: vec![GateDef {
                code: "A".into(),
                name: "Gate A".into(),
                entrances: vec!["GATE_A".into()],
            }],
            attention_tariffs: vec![],
            stewards: vec![StewardConfig {
                name: "head".into(),
                password_hash: hash_password("pw"),
                head: true,
            }],
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("gate-demo");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("gate-demo", &h));
        assert!(!verify_password("gate-dem0", &h));
        assert!(!verify_password("gate-demo", "not a hash"));
    }

    #[test]
    fn validation_names_the_setting() {
        assert!(sample().validate("PLAY").is_ok());
        let mut c = sample();
        c.stewards[0].password_hash = "plain".into();
        let e = c.validate("PLAY").unwrap_err();
        assert!(e.contains("stewards.password_hash"), "{e}");
        let mut c = sample();
        c.gates.push(c.gates[0].clone());
        assert!(c.validate("PLAY").unwrap_err().contains("appears twice"));
        let mut c = sample();
        c.lists.clear();
        assert!(c.validate("PLAY").unwrap_err().contains("lists"));
        assert!(!format!("{:?}", sample()).contains("argon2"));
    }
}

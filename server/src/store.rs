//! The durable registry of started payments: one small JSON file per order in
//! `{SHOP_DATA_DIR}/payments/`, so a restart (or a crash) does not lose the orders that
//! reconciliation must still close.
//!
//! - A file is written whole to a temporary name, synced, renamed over the old one and the
//!   directory synced: it is either the old or the new entry, never half of one.
//! - File names carry a hash of the S-360 host, so a data directory used with another S-360
//!   (a restarted embedded sandbox on a new port, preprod then prod) does not mix orders; other
//!   hosts' files are left alone, and purged once older than [`STALE_AFTER`].
//! - The entries are also kept in memory: the notification check and reconciliation never read
//!   the disk. Several shop processes may share the directory (one file per order, atomic
//!   replacement); each loads the others' entries at start only.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shop::payment::{PaymentRegistry, StartedPayment};

/// Files of other S-360 hosts (or unreadable ones) older than this are deleted at start.
pub const STALE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// What one file holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    /// The S-360 host the order lives on (for people reading the files).
    s360: String,
    payment: StartedPayment,
}

#[derive(Debug)]
pub struct FileRegistry {
    dir: PathBuf,
    s360: String,
    prefix: String,
    entries: Mutex<HashMap<(String, i64), StartedPayment>>,
    /// Serialises writes (the temporary names are unique anyway).
    io: Mutex<()>,
    counter: AtomicU64,
}

/// FNV-1a, 64 bits: a stable short name for an S-360 host.
fn host_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    // directories can be opened and synced on Unix; elsewhere the rename is what we have
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl FileRegistry {
    /// Opens (creating it) `{data_dir}/payments` for the orders of `s360_base_url` and loads its
    /// entries. Fails, naming `SHOP_DATA_DIR`, when the directory cannot be created or written.
    pub fn open(data_dir: &Path, s360_base_url: &str) -> Result<FileRegistry, String> {
        let dir = data_dir.join("payments");
        let name = |e: std::io::Error| format!("SHOP_DATA_DIR: {}: {e}", dir.display());
        fs::create_dir_all(&dir).map_err(name)?;
        let s360 = s360_base_url.trim_end_matches('/').to_string();
        let registry = FileRegistry {
            prefix: format!("{}-", host_hash(&s360)),
            dir: dir.clone(),
            s360,
            entries: Mutex::default(),
            io: Mutex::default(),
            counter: AtomicU64::new(0),
        };
        // writable? (better to refuse to start than to refuse every payment)
        static PROBES: AtomicU64 = AtomicU64::new(0);
        let probe = dir.join(format!(
            ".probe-{}-{}",
            std::process::id(),
            PROBES.fetch_add(1, Ordering::Relaxed)
        ));
        fs::write(&probe, b"ok")
            .and_then(|_| fs::remove_file(&probe))
            .map_err(name)?;
        let mut loaded = 0;
        for item in fs::read_dir(&dir).map_err(name)? {
            let Ok(item) = item else { continue };
            let path = item.path();
            let file_name = item.file_name().to_string_lossy().into_owned();
            let age = item
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .unwrap_or_default();
            let old = age > STALE_AFTER;
            if file_name.starts_with(".tmp-") || file_name.starts_with(".probe-") {
                // a write interrupted by a crash (the previous version, if any, is intact);
                // recent ones may be another process's write in progress
                if age > Duration::from_secs(3600) {
                    let _ = fs::remove_file(&path);
                }
                continue;
            }
            if !file_name.ends_with(".json") {
                continue;
            }
            if !file_name.starts_with(&registry.prefix) {
                if old {
                    let _ = fs::remove_file(&path);
                }
                continue;
            }
            match fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| serde_json::from_slice::<Record>(&b).map_err(|e| e.to_string()))
            {
                Ok(r) => {
                    let p = r.payment;
                    registry
                        .entries
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert((p.institution.clone(), p.order_id), p);
                    loaded += 1;
                }
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "unreadable started-payment file, left in place");
                }
            }
        }
        tracing::info!(dir = %dir.display(), loaded, "payment registry loaded");
        Ok(registry)
    }

    fn path(&self, institution: &str, order_id: i64) -> PathBuf {
        let safe: String = institution
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        self.dir
            .join(format!("{}{safe}-{order_id}.json", self.prefix))
    }

    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            self.counter.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, path)?;
            sync_dir(&self.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

impl PaymentRegistry for FileRegistry {
    fn save(&self, payment: &StartedPayment) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(&Record {
            s360: self.s360.clone(),
            payment: payment.clone(),
        })
        .map_err(std::io::Error::other)?;
        let _io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        self.write_atomically(&self.path(&payment.institution, payment.order_id), &bytes)?;
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (payment.institution.clone(), payment.order_id),
                payment.clone(),
            );
        Ok(())
    }

    fn remove(&self, institution: &str, order_id: i64) -> std::io::Result<()> {
        let _io = self.io.lock().unwrap_or_else(|e| e.into_inner());
        match fs::remove_file(self.path(institution, order_id)) {
            Ok(()) => sync_dir(&self.dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(institution.to_string(), order_id));
        Ok(())
    }

    fn get(&self, institution: &str, order_id: i64) -> Option<StartedPayment> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(institution.to_string(), order_id))
            .cloned()
    }

    fn list(&self, institution: &str) -> Vec<StartedPayment> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|p| p.institution == institution)
            .cloned()
            .collect()
    }
}

/// The key that signs order links (`shop::tenant::LinkKey`): from `SHOP_LINK_SECRET` when set (a
/// fleet shares it), else `link.key` in the data directory, created once with 32 random bytes
/// (readable by the shop's user only). A restart keeps every link a buyer was given working.
pub fn link_key(data_dir: &Path, secret: Option<&str>) -> Result<shop::tenant::LinkKey, String> {
    use sha2::Digest;
    if let Some(s) = secret {
        if s.len() < 32 {
            return Err("SHOP_LINK_SECRET: at least 32 characters".into());
        }
        return Ok(shop::tenant::LinkKey::new(
            sha2::Sha256::digest(s.as_bytes()).into(),
        ));
    }
    let path = data_dir.join("link.key");
    let name = |e: std::io::Error| format!("SHOP_DATA_DIR: {}: {e}", path.display());
    fs::create_dir_all(data_dir).map_err(name)?;
    match fs::read(&path) {
        Ok(bytes) if bytes.len() == 32 => {
            let mut key = [0u8; 32];
            key.copy_from_slice(&bytes);
            return Ok(shop::tenant::LinkKey::new(key));
        }
        Ok(_) => {
            return Err(format!(
                "SHOP_DATA_DIR: {} is not a 32-byte key; remove it to make a new one (order links given so far stop working)",
                path.display()
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(name(e)),
    }
    let key: [u8; 32] = rand::random();
    // written under a temporary name, then linked into place: two instances starting at once
    // on one data directory end with the same key
    let tmp = data_dir.join(format!(".tmp-link-{}", std::process::id()));
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(name)?;
        f.write_all(&key).and_then(|_| f.sync_all()).map_err(name)?;
    }
    let linked = fs::hard_link(&tmp, &path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(shop::tenant::LinkKey::new(key)),
        // another instance was first: use its key
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => link_key(data_dir, None),
        Err(e) => Err(name(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "shop-store-{name}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entry(inst: &str, order_id: i64, tx: &str) -> StartedPayment {
        StartedPayment {
            institution: inst.into(),
            order_id,
            transactions: vec![tx.into()],
            started_ms: 1,
            updated_ms: 2,
            final_ms: None,
            lang: None,
        }
    }

    #[test]
    fn entries_survive_a_reopen_per_s360_host() {
        let dir = temp_dir("reopen");
        let r = FileRegistry::open(&dir, "http://127.0.0.1:8360").unwrap();
        r.save(&entry("CUBE", 10, "CUBE-a")).unwrap();
        r.save(&entry("CUBE", 11, "CUBE-b")).unwrap();
        r.save(&entry("MOSA", 10, "MOSA-a")).unwrap();
        let mut updated = entry("CUBE", 10, "CUBE-a");
        updated.transactions.push("CUBE-c".into());
        updated.final_ms = Some(3);
        r.save(&updated).unwrap();
        r.remove("CUBE", 11).unwrap();
        r.remove("CUBE", 999).unwrap();
        drop(r);

        let again = FileRegistry::open(&dir, "http://127.0.0.1:8360/").unwrap();
        assert_eq!(again.get("CUBE", 10), Some(updated));
        assert_eq!(again.get("CUBE", 11), None);
        assert_eq!(again.list("MOSA").len(), 1);
        assert_eq!(again.list("CUBE").len(), 1);
        // no temporary file left behind
        let names: Vec<String> = fs::read_dir(dir.join("payments"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| n.ends_with(".json")), "{names:?}");
        assert_eq!(names.len(), 2);

        // another S-360 host sees none of them, and leaves them alone
        let other = FileRegistry::open(&dir, "http://127.0.0.1:9999").unwrap();
        assert!(other.list("CUBE").is_empty());
        drop(other);
        assert_eq!(
            FileRegistry::open(&dir, "http://127.0.0.1:8360")
                .unwrap()
                .list("CUBE")
                .len(),
            1
        );
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_unreadable_file_is_skipped_not_fatal() {
        let dir = temp_dir("corrupt");
        let r = FileRegistry::open(&dir, "http://s360").unwrap();
        r.save(&entry("CUBE", 1, "CUBE-a")).unwrap();
        let torn = r.path("CUBE", 2);
        fs::write(&torn, b"{\"s360\":").unwrap();
        fs::write(dir.join("payments").join(".tmp-1-1"), b"{").unwrap();
        drop(r);
        let again = FileRegistry::open(&dir, "http://s360").unwrap();
        assert_eq!(again.list("CUBE").len(), 1);
        assert!(torn.exists(), "kept for a person to look at");
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn an_unusable_directory_names_the_setting() {
        let dir = temp_dir("unusable");
        let file = dir.join("not-a-dir");
        fs::write(&file, b"x").unwrap();
        let e = FileRegistry::open(&file, "http://s360").unwrap_err();
        assert!(e.starts_with("SHOP_DATA_DIR: "), "{e}");
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_link_key_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("shop-linkkey-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let tenant = |key: shop::tenant::LinkKey| {
            let client = s360::client::Client::new(s360::client::ClientConfig::new(
                "http://127.0.0.1:9",
                "CUBE_WEB",
                "x",
            ))
            .unwrap();
            shop::tenant::Tenant::new(
                "CUBE".into(),
                vec![],
                Default::default(),
                vec![],
                s360::client::CatalogCache::new(client),
            )
            .with_link_key(key)
        };
        let first = tenant(link_key(&dir, None).unwrap());
        let again = tenant(link_key(&dir, None).unwrap());
        assert_eq!(first.order_link_token(7), again.order_link_token(7));
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("link.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the shop's user reads the key");
        // a configured secret wins, the same on every instance
        let secret = "a fleet-wide secret of at least 32 chars";
        let a = tenant(link_key(&dir, Some(secret)).unwrap());
        let b = tenant(link_key(&std::env::temp_dir(), Some(secret)).unwrap());
        assert_eq!(a.order_link_token(7), b.order_link_token(7));
        assert_ne!(a.order_link_token(7), first.order_link_token(7));
        assert!(link_key(&dir, Some("short"))
            .unwrap_err()
            .starts_with("SHOP_LINK_SECRET"));
        fs::write(dir.join("link.key"), b"garbage").unwrap();
        assert!(link_key(&dir, None).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}

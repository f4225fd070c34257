//! What the database-backed commands share: opening the store, the key file next to it, the
//! wall clock, and packs read from a directory or from the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use yidi_domain::{DateTime, Pack};
use yidi_http::crypto::SecretKey;
use yidi_hub::{Clock, SystemClock};
use yidi_refdata::{PackFiles, Problem};
use yidi_store::Store;
use yidi_store_sqlite::SqliteStore;

use crate::check_pack_cmd::EXIT_BAD_PACK;

/// Opens (creating and migrating on first use) the SQLite database.
pub fn open_store(path: &Path) -> anyhow::Result<Arc<SqliteStore>> {
    let store = SqliteStore::open(path).with_context(|| format!("无法打开数据库 {}", path.display()))?;
    Ok(Arc::new(store))
}

/// `--secret-key-file`, or by default `DB.key` next to the database.
pub fn key_path(db: &Path, given: Option<&Path>) -> PathBuf {
    given.map_or_else(|| PathBuf::from(format!("{}.key", db.display())), Path::to_path_buf)
}

/// Reads the key file, creating it (0600) when missing. A new key is refused while the database
/// holds credentials: they were sealed under another key and could never be opened.
pub fn open_key(path: &Path, store: &dyn Store) -> anyhow::Result<SecretKey> {
    if path.exists() {
        return Ok(SecretKey::load(path)?);
    }
    let stored = store.credentials().context("无法读取凭据")?;
    if !stored.is_empty() {
        anyhow::bail!(
            "密钥文件 {} 不存在，但数据库中已有 {} 个机构凭据：请用签发它们时的 --secret-key-file（新密钥无法解密已有令牌）",
            path.display(),
            stored.len()
        );
    }
    let key = SecretKey::create(path)?;
    eprintln!(
        "已创建密钥文件 / created secret key file: {}（权限 0600；请备份并与数据库分开保存）",
        path.display()
    );
    Ok(key)
}

/// Now, Beijing time, from the system clock.
pub fn now() -> DateTime {
    SystemClock.now()
}

/// A pack read and checked from a directory: its files (for the store) and domain values. On
/// problems every one is printed as `file:line: message` and the exit status 2 returned.
pub fn read_pack_dir(dir: &Path) -> Result<(BTreeMap<String, String>, Pack), ExitCode> {
    let checked =
        PackFiles::read_dir(dir).and_then(|files| yidi_refdata::parse_pack(&files).map(|p| (files, p)));
    match checked {
        Ok((files, pack)) => Ok((file_map(&files), pack)),
        Err(problems) => {
            print_problems(&problems, &dir.display().to_string());
            Err(ExitCode::from(EXIT_BAD_PACK))
        }
    }
}

/// The latest pack imported into the store, parsed; `None` if there is none.
pub fn stored_pack(store: &dyn Store, db: &Path) -> anyhow::Result<Option<Result<Pack, ExitCode>>> {
    let Some(files) = store.latest_pack().context("无法读取数据库中的数据包")? else {
        return Ok(None);
    };
    let pairs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    Ok(Some(yidi_refdata::parse_pack(&PackFiles::from_pairs(&pairs)).map_err(|problems| {
        print_problems(&problems, &format!("{}（数据库中的数据包）", db.display()));
        ExitCode::from(EXIT_BAD_PACK)
    })))
}

fn file_map(files: &PackFiles) -> BTreeMap<String, String> {
    files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect()
}

fn print_problems(problems: &[Problem], source: &str) {
    for p in problems {
        eprintln!("{p}");
    }
    eprintln!("数据包被拒绝 / pack rejected: {} 个问题 / problems in {source}", problems.len());
}

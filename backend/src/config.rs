//! Configuration from flags and environment (API.md "Command line").
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    /// Where uploaded files live (content-addressed, R44).
    pub data_dir: PathBuf,
    /// The built frontend (`cargo xtask frontend`), served at `/`.
    pub dist_dir: PathBuf,
    /// `YISHI_TEST_CLOCK=1`: the clock can be moved by `POST /api/v1/_test/clock`.
    pub test_clock: bool,
    /// Mark cookies `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Identifies this process in job leases (R46).
    pub instance_id: String,
    /// Run background jobs in this process (publication close, reminders).
    pub run_jobs: bool,
    pub fonts: FontPaths,
}

/// A unit's licensed font files (仿宋_GB2312 etc.); unset → free stand-ins (docs/fonts.md).
#[derive(Clone, Debug, Default)]
pub struct FontPaths {
    pub fangsong: Option<PathBuf>,
    pub kaiti: Option<PathBuf>,
    pub heiti: Option<PathBuf>,
    pub xiaobiaosong: Option<PathBuf>,
    pub songti: Option<PathBuf>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/yishi.db?mode=rwc";

impl Config {
    pub fn from_env(addr: Option<SocketAddr>, database_url: Option<String>) -> anyhow::Result<Config> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let addr = match addr {
            Some(a) => a,
            None => env("YISHI_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into()).parse()?,
        };
        let database_url = database_url
            .or_else(|| env("DATABASE_URL"))
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
        let flag = |k: &str| env(k).map(|v| v == "1" || v.eq_ignore_ascii_case("true")).unwrap_or(false);
        let fonts = FontPaths {
            fangsong: env("YISHI_FONT_FANGSONG").map(PathBuf::from),
            kaiti: env("YISHI_FONT_KAITI").map(PathBuf::from),
            heiti: env("YISHI_FONT_HEITI").map(PathBuf::from),
            xiaobiaosong: env("YISHI_FONT_XIAOBIAOSONG").map(PathBuf::from),
            songti: env("YISHI_FONT_SONGTI").map(PathBuf::from),
        };
        Ok(Config {
            addr,
            database_url,
            data_dir: env("YISHI_DATA_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("data")),
            dist_dir: env("YISHI_DIST").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("dist")),
            test_clock: flag("YISHI_TEST_CLOCK"),
            secure_cookies: flag("YISHI_SECURE_COOKIES"),
            instance_id: env("YISHI_INSTANCE_ID").unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            run_jobs: env("YISHI_RUN_JOBS").map(|v| v != "0").unwrap_or(true),
            fonts,
        })
    }
}

/// A tuning setting from the environment (docs/operations.md, "Memory"): `name`'s value when
/// it parses and lies in `valid`, otherwise `default`.
pub fn tuning<T: std::str::FromStr + PartialOrd>(name: &str, default: T, valid: std::ops::RangeInclusive<T>) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|v| valid.contains(v)).unwrap_or(default)
}

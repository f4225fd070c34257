//! The harness the `yidi` binary's integration tests share: the binary run to completion
//! (`yidi`), a real `yidi serve` on a free port of 127.0.0.1 that is killed on drop (`Server`),
//! temporary directories named after the test binary, and a raw HTTP/1.1 client with the national
//! gateway's signed headers (`exchange`, `Gateway`).
#![allow(dead_code)] // each test binary uses only part of it

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest `yidi serve` may take to print its listening line, unless a test asks for less.
pub const START_WAIT: Duration = Duration::from_secs(120);
/// The national interface's one path.
pub const CALL_SERVICE: &str = "/fsi/api/callService";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root, where `test_data/` is; the binary runs there.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `yidi ARGS…`, run in the workspace root to completion.
pub fn yidi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_yidi")).args(args).current_dir(repo()).output().expect("run yidi")
}

/// A process's output as text (lossy UTF-8).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh empty directory `yidi-BINARY-PID-NAME` under the system temp directory (`BINARY` is
/// the test file's name, so names only need to be unique within one file). Kept until the test
/// removes it, so a failure leaves it to look at.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("yidi-{}-{}-{name}", env!("CARGO_CRATE_NAME"), std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// A `temp_dir` removed on drop. Declare it before the server that writes into it, so that the
/// server is dropped (killed) first.
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        Scratch(temp_dir(name))
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A free TCP port on 127.0.0.1 (bound and released), for a program that takes a port number.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed (SIGKILL, by its own handle) on drop, so no test leaves one behind.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running `yidi serve` listening on a free port of 127.0.0.1; killed on drop unless stopped.
pub struct Server {
    process: KillOnDrop,
    pub addr: SocketAddr,
    /// Its stdout up to and including the listening line.
    pub stdout_seen: String,
}

impl Server {
    /// `yidi serve --demo --db DB EXTRA…` (`EXTRA`: `--clock …`, say), stderr appended to `log`.
    pub fn demo(db: &Path, extra: &[&str], log: &Path) -> Server {
        let db = db.to_str().expect("utf-8 path");
        Server::start(&[&["--demo", "--db", db][..], extra].concat(), log)
    }

    /// `yidi serve ARGS… --listen 127.0.0.1:0`, stderr appended to `log`, within `START_WAIT`.
    pub fn start(args: &[&str], log: &Path) -> Server {
        Server::start_within(args, log, START_WAIT)
    }

    /// `start`, failing (with the log) unless the listening line is printed within `wait`.
    pub fn start_within(args: &[&str], log: &Path, wait: Duration) -> Server {
        let deadline = Instant::now() + wait;
        let log_file = fs::OpenOptions::new().create(true).append(true).open(log).expect("server log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_yidi"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .current_dir(repo())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start yidi serve");
        let stdout = child.stdout.take().expect("stdout");
        let process = KillOnDrop(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = String::new();
        loop {
            let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) else {
                panic!(
                    "yidi serve printed no listening line within {wait:?}; stdout:\n{seen}log:\n{}",
                    fs::read_to_string(log).unwrap_or_default()
                );
            };
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split(|c: char| c.is_whitespace() || c == '（').next().expect("address");
                // Keep draining stdout so the server never blocks on a full pipe.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                let addr = addr.parse().unwrap_or_else(|e| panic!("{e}: {line}"));
                return Server { process, addr, stdout_seen: seen };
            }
        }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM (by this child's pid), then the exit status must be success (graceful shutdown).
    pub fn stop(mut self) {
        let pid = self.process.0.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
        let status = self.process.0.wait().expect("wait");
        assert!(status.success(), "yidi serve exited with {status}");
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(mut self) {
        self.process.0.kill().expect("SIGKILL yidi serve");
        self.process.0.wait().expect("wait");
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Now in Beijing time (the demo hub runs on the system clock).
pub fn beijing_now() -> yidi_domain::DateTime {
    yidi_domain::DateTime::from_epoch_secs(unix_now() + 8 * 3_600)
}

/// One HTTP answer: status, head (lowercased, lines joined by `\r\n`) and body.
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    /// A whole answer as read; `None` when it is not UTF-8 or has no head and status line.
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let text = std::str::from_utf8(raw).ok()?;
        let (head, body) = text.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some(Response { status, head: head.to_ascii_lowercase(), body: body.to_string() })
    }

    /// The value of the header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim)
    }

    /// The body is as long as `Content-Length` says: the answer was not cut short.
    pub fn is_complete(&self) -> bool {
        self.header("content-length").and_then(|n| n.parse().ok()) == Some(self.body.len())
    }

    /// Marked `X-Yidi-Replay: 1`: the stored answer to a `msgid` seen before.
    pub fn is_replay(&self) -> bool {
        self.header("x-yidi-replay") == Some("1")
    }
}

/// Sends `request` over a new connection and reads until the server closes it (the requests
/// here say `Connection: close`); any I/O failure is returned.
pub fn send(addr: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.write_all(request)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    Ok(raw)
}

/// `send`, panicking on a failure or on an answer that is not HTTP.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Response {
    let raw = send(addr, request).unwrap_or_else(|e| panic!("HTTP exchange with {addr}: {e}"));
    Response::parse(&raw).unwrap_or_else(|| panic!("not an HTTP answer: {}", text(&raw)))
}

/// The national gateway's headers as sent; a test may spoil one at a time.
pub struct Gateway {
    pub paasid: String,
    pub timestamp: i64,
    pub nonce: String,
    pub signature: String,
}

impl Gateway {
    /// Signed with `token` for `timestamp` and `nonce`.
    pub fn signed(paasid: &str, token: &str, timestamp: i64, nonce: &str) -> Gateway {
        let signature = yidi_http::crypto::signature(&timestamp.to_string(), token, nonce);
        Gateway { paasid: paasid.to_string(), timestamp, nonce: nonce.to_string(), signature }
    }

    /// Signed now with facility `code`'s demo credential (`yidi serve --demo`).
    pub fn demo(code: &str, nonce: &str) -> Gateway {
        let token = yidi_http::crypto::demo_facility_token(code);
        Gateway::signed(&format!("yidi_{code}"), &token, unix_now(), nonce)
    }

    /// The whole request: `POST path` to `addr` with these headers and the JSON `body`.
    pub fn request(&self, addr: SocketAddr, path: &str, body: &[u8]) -> Vec<u8> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n\
             x-tif-paasid: {}\r\nx-tif-timestamp: {}\r\nx-tif-nonce: {}\r\nx-tif-signature: {}\r\n\
             Content-Length: {}\r\n\r\n",
            self.paasid,
            self.timestamp,
            self.nonce,
            self.signature,
            body.len()
        );
        [head.as_bytes(), body].concat()
    }
}

//! A minimal HTTP/1.1 client over `std::net::TcpStream`: one connection per request
//! (`Connection: close`), a read timeout, `Content-Length` or chunked bodies. Enough for a
//! conformance run, and small enough to read: the checks must see exactly what the server sent.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Bodies larger than this are written from a second thread while the answer is read, so a
/// server that answers early (413) and closes is still heard.
const WRITE_IN_THREAD_BYTES_MIN: usize = 64 * 1024;
/// Largest answer read (answers of a conformance run are a few kilobytes).
const RESPONSE_BYTES_MAX: u64 = 16 << 20;

/// Where the server listens: `http://host:port[/prefix]`.
#[derive(Clone, Debug)]
pub struct Endpoint {
    host_port: String,
    prefix: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!("只支持 http:// 地址（TLS 请放在前置代理）：{url} / only http:// URLs are supported")
        })?;
        let (host, prefix) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
        if host.is_empty() {
            return Err(format!("地址缺少主机名：{url}"));
        }
        let host_port = if host.contains(':') { host.to_string() } else { format!("{host}:80") };
        let prefix = prefix.trim_end_matches('/');
        Ok(Endpoint {
            host_port,
            prefix: if prefix.is_empty() { String::new() } else { format!("/{prefix}") },
        })
    }
}

/// One answer as received.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// POSTs `body` to `path` with extra `headers`.
pub fn post(
    endpoint: &Endpoint,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Response, String> {
    let mut head = format!(
        "POST {}{path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n",
        endpoint.prefix,
        endpoint.host_port,
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(&endpoint.host_port)
        .map_err(|e| format!("无法连接 {}：{e}", endpoint.host_port))?;
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).map_err(|e| e.to_string())?;
    let raw = if body.len() < WRITE_IN_THREAD_BYTES_MIN {
        stream.write_all(&[head.as_bytes(), body].concat()).map_err(|e| format!("发送失败：{e}"))?;
        read_all(&mut stream)?
    } else {
        let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
        let request = [head.as_bytes(), body].concat();
        std::thread::scope(|s| {
            // A server may answer before reading the whole body and close: write errors are
            // expected then, and the answer is what counts.
            s.spawn(move || {
                let _ = writer.write_all(&request);
            });
            read_all(&mut stream)
        })?
    };
    parse_response(&raw)
}

/// Reads until the server closes; an error after some bytes keeps those bytes (a reset that
/// follows an early answer).
fn read_all(stream: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    match stream.take(RESPONSE_BYTES_MAX).read_to_end(&mut raw) {
        Ok(_) => Ok(raw),
        Err(_) if raw.windows(4).any(|w| w == b"\r\n\r\n") => Ok(raw),
        Err(e) => Err(format!("读取应答失败：{e}")),
    }
}

fn parse_response(raw: &[u8]) -> Result<Response, String> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or("HTTP 应答不完整（没有头部结束）")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("无法识别的状态行：{status_line}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let length =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse::<usize>().ok());
    let body = match (chunked, length) {
        (true, _) => dechunk(rest)?,
        (false, Some(n)) if n <= rest.len() => rest[..n].to_vec(),
        (false, Some(n)) => return Err(format!("应答体不完整：声明 {n} 字节，收到 {} 字节", rest.len())),
        (false, None) => rest.to_vec(),
    };
    Ok(Response { status, headers, body })
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").ok_or("分块应答不完整")?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("分块长度无效：{size_text}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if rest.len() < size + 2 {
            return Err("分块应答不完整".to_string());
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_answers_parse() {
        let e = Endpoint::parse("http://127.0.0.1:9000/gw/").unwrap();
        assert_eq!((e.host_port.as_str(), e.prefix.as_str()), ("127.0.0.1:9000", "/gw"));
        assert!(Endpoint::parse("https://x").is_err());
        let r = parse_response(b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}")
            .unwrap();
        assert_eq!((r.status, r.body.as_slice(), r.header("x-a")), (413, &b"{}"[..], Some("b")));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
            .unwrap();
        assert_eq!(r.body, b"{}");
    }
}

//! The HTTP side: one [`Terminal`] is one hospital cashier's keep-alive HTTP/1.1 connection
//! (hyper's client connection over a tokio TCP stream), running one request at a time.
//!
//! Plain `http://` only: a benchmark measures the hub, and TLS belongs to the gateway in front
//! of it (`protocol.md` §3.1).

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::limits::{ANSWER_BYTES_MAX, REQUEST_TIMEOUT_SECS};

/// The national interface's main route (`protocol.md` §2).
const CALL_SERVICE_PATH: &str = "/fsi/api/callService";

/// Where the hub is.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// `host:port` to connect to.
    authority: String,
    host: HeaderValue,
    /// `callService` under the URL's path.
    path: Uri,
}

#[derive(Debug, thiserror::Error)]
#[error("--url {url}: {reason}")]
pub struct BadUrl {
    url: String,
    reason: &'static str,
}

impl Endpoint {
    /// `http://host[:port][/prefix]`; the port defaults to 80.
    pub fn parse(url: &str) -> Result<Endpoint, BadUrl> {
        let bad = |reason| BadUrl { url: url.to_string(), reason };
        let uri: Uri = url.parse().map_err(|_| bad("不是合法的 URL / not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("只支持 http:// / only http:// is supported"));
        }
        let authority = uri.authority().ok_or_else(|| bad("缺少主机 / no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let prefix = uri.path().trim_end_matches('/');
        let path = format!("{prefix}{CALL_SERVICE_PATH}").parse().map_err(|_| bad("路径无效 / bad path"))?;
        Ok(Endpoint {
            authority: format!("{}:{port}", authority.host()),
            host: HeaderValue::from_str(authority.as_str()).map_err(|_| bad("主机无效 / bad host"))?,
            path,
        })
    }
}

/// Why a request got no answer; each is counted as an error of that name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Connect,
    Transport,
    Timeout,
    AnswerTooLarge,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::Connect => "connect_failed",
            Failure::Transport => "transport_error",
            Failure::Timeout => "timeout",
            Failure::AnswerTooLarge => "answer_too_large",
        }
    }
}

/// One keep-alive connection and the facilities it has signed in to (9001).
#[derive(Default)]
pub struct Terminal {
    sender: Option<SendRequest<Full<Bytes>>>,
    pub signed_in: HashSet<u32>,
}

impl Terminal {
    /// POSTs `body` with `headers`; the status and the whole answer. After any failure the
    /// connection is dropped and the next request opens a new one.
    pub async fn post(
        &mut self,
        endpoint: &Endpoint,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), Failure> {
        let limit = Duration::from_secs(REQUEST_TIMEOUT_SECS);
        let outcome = tokio::time::timeout(limit, self.exchange(endpoint, headers, body)).await;
        let result = outcome.unwrap_or(Err(Failure::Timeout));
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        endpoint: &Endpoint,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<(u16, Bytes), Failure> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(endpoint.path.clone())
            .header(HOST, endpoint.host.clone())
            .header(CONTENT_TYPE, "application/json; charset=utf-8");
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|_| Failure::Transport)?;
        let sender = self.connection(endpoint).await?;
        sender.ready().await.map_err(|_| Failure::Transport)?;
        let answer = sender.send_request(request).await.map_err(|_| Failure::Transport)?;
        let status = answer.status().as_u16();
        let collected = Limited::new(answer.into_body(), ANSWER_BYTES_MAX).collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                Failure::AnswerTooLarge
            } else {
                Failure::Transport
            }
        })?;
        Ok((status, collected.to_bytes()))
    }

    async fn connection(&mut self, endpoint: &Endpoint) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        if self.sender.as_ref().is_some_and(SendRequest::is_closed) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(&endpoint.authority).await.map_err(|_| Failure::Connect)?;
            stream.set_nodelay(true).map_err(|_| Failure::Connect)?;
            let (sender, connection) =
                http1::handshake(TokioIo::new(stream)).await.map_err(|_| Failure::Connect)?;
            tokio::spawn(async move {
                // Ends when the connection closes; the next request then reconnects.
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected above"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL's host, port and path prefix are kept; only http is accepted.
    #[test]
    fn parses_urls() {
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(e.authority, "127.0.0.1:8080");
        assert_eq!(e.path, "/fsi/api/callService");
        let e = Endpoint::parse("http://hub.example/yidi/").unwrap();
        assert_eq!(e.authority, "hub.example:80");
        assert_eq!(e.host, "hub.example");
        assert_eq!(e.path, "/yidi/fsi/api/callService");
        assert!(Endpoint::parse("https://hub.example").is_err());
        assert!(Endpoint::parse("not a url").is_err());
    }
}

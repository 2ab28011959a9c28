//! The Prometheus side: the text exposition format (0.0.4) and the loopback-only
//! `GET /metrics` endpoint that serves it.

use super::counters::{Counters, Live};
use super::report::{families, seconds};
use super::{Stats, LATENCY_BUCKETS_MS};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// The figures in the text exposition format 0.0.4: every counter family, the ack
/// latency histogram (cumulative buckets in seconds) and the two gauges (no sample
/// while unknown).
pub(super) fn render(c: &Counters, live: &Live) -> String {
    let mut out = String::new();
    for f in families(c) {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind);
        for (value, _, n) in &f.rows {
            match f.label {
                Some(label) => {
                    let _ = writeln!(out, "{}{{{label}=\"{value}\"}} {n}", f.name);
                }
                None => {
                    let _ = writeln!(out, "{} {n}", f.name);
                }
            }
        }
    }
    let h = &c.ack_latency;
    let name = "kaonin_ack_latency_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time from storing an identity to the PC's ack."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (le, n) in LATENCY_BUCKETS_MS.iter().zip(h.cumulative()) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{}\"}} {n}", seconds(*le));
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", h.count);
    let _ = writeln!(out, "{name}_sum {}", seconds(h.sum_ms));
    let _ = writeln!(out, "{name}_count {}", h.count);
    let gauges = [
        (
            "kaonin_outbox_depth",
            "Identities waiting in the outbox for the PC.",
            live.outbox_depth,
        ),
        (
            "kaonin_link_up",
            "1 while the PC link is up.",
            live.link_up.map(u64::from),
        ),
    ];
    for (name, help, value) in gauges {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        if let Some(v) = value {
            let _ = writeln!(out, "{name} {v}");
        }
    }
    out
}

// ---- the metrics endpoint -----------------------------------------------------

/// Binds the metrics port; refuses any address that is not loopback.
pub async fn bind_metrics(addr: SocketAddr) -> io::Result<tokio::net::TcpListener> {
    if !addr.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("metrics address {addr} is not loopback; refusing to listen"),
        ));
    }
    tokio::net::TcpListener::bind(addr).await
}

/// Serves `GET /metrics` on `addr` (loopback only) until the task is dropped.
pub async fn serve_metrics(stats: Stats, addr: SocketAddr) -> io::Result<()> {
    let listener = bind_metrics(addr).await?;
    tracing::info!(%addr, "metrics endpoint listening");
    serve_metrics_on(stats, listener).await
}

/// Serves `GET /metrics` on an already bound listener.
pub async fn serve_metrics_on(stats: Stats, listener: tokio::net::TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "metrics accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if !peer.ip().is_loopback() {
            continue;
        }
        let stats = stats.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(5), respond(stream, &stats));
            if let Ok(Err(e)) = answer.await {
                tracing::debug!(error = %e, "metrics request failed");
            }
        });
    }
}

/// The most a request head may take.
const REQUEST_MAX: usize = 8192;

async fn respond(mut stream: tokio::net::TcpStream, stats: &Stats) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > REQUEST_MAX {
            return reply(
                &mut stream,
                "431 Request Header Fields Too Large",
                "",
                false,
            )
            .await;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        head.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = std::str::from_utf8(line).unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next(), parts.next(), parts.next());
    let valid = matches!(version, Some(v) if v.starts_with("HTTP/1.")) && parts.next().is_none();
    let path = target.map(|t| t.split('?').next().unwrap_or(t));
    let result = match (valid, method, path) {
        (false, _, _) => reply(&mut stream, "400 Bad Request", "bad request\n", true).await,
        (true, Some(m @ ("GET" | "HEAD")), Some("/metrics")) => {
            let body = stats.render_prometheus();
            reply(&mut stream, "200 OK", &body, m == "GET").await
        }
        (true, Some("GET" | "HEAD"), _) => {
            reply(
                &mut stream,
                "404 Not Found",
                "only /metrics is here\n",
                true,
            )
            .await
        }
        (true, _, _) => reply(&mut stream, "405 Method Not Allowed", "GET only\n", true).await,
    };
    let _ = stream.shutdown().await;
    result
}

async fn reply(
    stream: &mut tokio::net::TcpStream,
    status: &str,
    body: &str,
    with_body: bool,
) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if with_body {
        stream.write_all(body.as_bytes()).await?;
    }
    stream.flush().await
}

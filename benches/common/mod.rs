//! What the benchmarks share: the median/p99 line and readings from `/proc`.
#![allow(dead_code)] // each benchmark uses a part

use std::time::Duration;

/// Milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints `name  median … ms   p99 … ms` (sorts `v`).
pub fn print_stats(name: &str, v: &mut [Duration]) {
    if v.is_empty() {
        println!("{name:9} no samples");
        return;
    }
    v.sort();
    let median = v[v.len() / 2];
    let p99 = v[((v.len() - 1) as f64 * 0.99).round() as usize];
    println!(
        "{name:9} median {:7.2} ms   p99 {:7.2} ms",
        ms(median),
        ms(p99)
    );
}

/// A `/proc/self/status` field in KiB (`key` with its colon, e.g. `"VmHWM:"`).
pub fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of the calling thread (Linux `/proc/thread-self/schedstat`).
pub fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

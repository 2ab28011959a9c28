//! Log output for the journal: when systemd connects stderr to the journal
//! (`JOURNAL_STREAM` is set), each line starts with its syslog priority (`<3>` error,
//! `<4>` warning, `<6>` info, `<7>` debug/trace, as sd-daemon(3) reads them) and carries
//! no timestamp of its own, so `journalctl -p warning` shows exactly the warnings
//! and errors. Elsewhere the ordinary tracing format is used.
//!
//! What is logged is decided at the call sites: no PIN, no image, no full certificate.

use std::fmt;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The syslog priority of a tracing level.
pub fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        _ => 7,
    }
}

/// Whether stderr goes to the journal (systemd sets `JOURNAL_STREAM`).
pub fn to_journal() -> bool {
    std::env::var_os("JOURNAL_STREAM").is_some()
}

/// The journal line format: `<priority>target: message fields`.
#[derive(Clone, Copy, Debug, Default)]
pub struct JournalFormat;

impl<S, N> FormatEvent<S, N> for JournalFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        write!(writer, "<{}>{}: ", priority(*meta.level()), meta.target())?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_line_carries_its_syslog_priority() {
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .event_format(JournalFormat)
            .with_max_level(Level::TRACE)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(device = "camera", "device not working");
            tracing::warn!("retrying");
            tracing::info!("ready");
            tracing::debug!("detail");
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("<3>kaonin::logs::tests: device not working"),
            "{text}"
        );
        assert!(lines[0].contains("device=\"camera\""), "{text}");
        assert!(lines[1].starts_with("<4>"), "{text}");
        assert!(lines[2].starts_with("<6>"), "{text}");
        assert!(lines[3].starts_with("<7>"), "{text}");
    }
}

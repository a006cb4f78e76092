//! The process's resident memory, from Linux's /proc/self: `VmRSS` before a run, `VmHWM` (the
//! high-water mark, reset by writing 5 to /proc/self/clear_refs) after it. Elsewhere, or where
//! /proc refuses, nothing is measured.

/// Resident set size now and its high-water mark, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub rss: u64,
    pub hwm: u64,
}

/// What a run used: resident bytes just before it and at its peak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub before: u64,
    pub peak: u64,
}

impl Usage {
    /// The memory the run added, per state; `None` for no states.
    pub fn bytes_per_state(&self, unique: usize) -> Option<f64> {
        (unique > 0).then(|| self.peak.saturating_sub(self.before) as f64 / unique as f64)
    }
}

/// `VmRSS` and `VmHWM` from the text of /proc/self/status (`VmHWM:\t  123456 kB`).
pub fn parse_status(text: &str) -> Option<Status> {
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix(':')?;
            let mut words = rest.split_whitespace();
            let value: u64 = words.next()?.parse().ok()?;
            (words.next()? == "kB").then_some(value.checked_mul(1024)?)
        })
    };
    Some(Status { rss: field("VmRSS")?, hwm: field("VmHWM")? })
}

fn status() -> Option<Status> {
    parse_status(&std::fs::read_to_string("/proc/self/status").ok()?)
}

/// Sets the high-water mark back to the current RSS (Linux 4.0 and later).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Runs `f`, with the memory it used where it can be measured.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Option<Usage>) {
    let before = if reset_peak() { status() } else { None };
    let out = f();
    let usage = before.zip(status()).map(|(before, after)| Usage {
        before: before.rss,
        // The high-water mark covers the RSS at the reset, but a reset that failed silently
        // must not report a peak below the start.
        peak: after.hwm.max(before.rss),
    });
    (out, usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tkelp\nUmask:\t0022\nState:\tR (running)\nVmPeak:\t  812340 kB\n\
        VmSize:\t  812340 kB\nVmLck:\t       0 kB\nVmHWM:\t  204800 kB\nVmRSS:\t   10240 kB\n\
        RssAnon:\t    8000 kB\nThreads:\t3\n";

    #[test]
    fn rss_and_high_water_mark_are_read_in_bytes() {
        assert_eq!(parse_status(STATUS), Some(Status { rss: 10240 * 1024, hwm: 204800 * 1024 }));
    }

    #[test]
    fn a_status_without_either_field_or_with_another_unit_gives_nothing() {
        assert_eq!(parse_status("Name:\tkelp\nVmRSS:\t 10 kB\n"), None);
        assert_eq!(parse_status("VmHWM:\t 10 kB\n"), None);
        assert_eq!(parse_status("VmHWM:\t 10 MB\nVmRSS:\t 10 kB\n"), None);
        assert_eq!(parse_status("VmHWM:\t ten kB\nVmRSS:\t 10 kB\n"), None);
        assert_eq!(parse_status(""), None);
    }

    #[test]
    fn a_field_whose_name_only_starts_the_same_is_not_taken() {
        assert_eq!(
            parse_status("VmRSSX:\t 1 kB\nVmRSS:\t 2 kB\nVmHWM:\t 3 kB\n"),
            Some(Status { rss: 2048, hwm: 3072 })
        );
    }

    #[test]
    fn bytes_per_state_is_the_growth_over_the_states() {
        let usage = Usage { before: 1000, peak: 5000 };
        assert_eq!(usage.bytes_per_state(40), Some(100.0));
        assert_eq!(usage.bytes_per_state(0), None);
        assert_eq!(Usage { before: 5000, peak: 1000 }.bytes_per_state(10), Some(0.0));
    }

    #[test]
    fn measuring_here_sees_an_allocation() {
        let (len, usage) = measure(|| {
            let v = std::hint::black_box(vec![1u8; 64 << 20]);
            v.iter().map(|&b| b as usize).sum::<usize>()
        });
        assert_eq!(len, 64 << 20);
        // Where /proc is there, the 64 MiB touched show up in the peak.
        if let Some(usage) = usage {
            assert!(usage.peak >= usage.before + (60 << 20), "{usage:?}");
        }
    }
}

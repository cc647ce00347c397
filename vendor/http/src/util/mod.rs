pub use self::custom_stream::CustomStream;
pub use self::equal_reader::EqualReader;
pub(crate) use self::event_loop::EventLoop;
pub use self::fused_reader::FusedReader;
pub use self::watch::Limits;
pub(crate) use self::watch::{Registry, Watch};

mod custom_stream;
mod equal_reader;
mod event_loop;
mod fused_reader;
pub(crate) mod shared;
mod watch;

/// camcgi: parses a header value made of elements separated by commas,
/// each with optional `q` weights, into each element and its weight in
/// thousandths (RFC 9110 12.4.2: `0` to `1` with up to three decimals;
/// an element with a weight written otherwise weighs 1000). Upstream
/// parsed weights as `f32`, which linked std's float parser.
///
/// For example with `text/plain, image/png; q=0.5` this function would
/// return `[ ("text/plain", 1000), ("image/png", 500) ]`
pub fn parse_header_value(input: &str) -> Vec<(&str, u16)> {
    input
        .split(',')
        .filter_map(|elem| {
            let mut params = elem.split(';');
            let t = params.next()?;
            let value = params.find_map(|p| p.trim_start().strip_prefix("q=").and_then(|q| qvalue(q.trim()))).unwrap_or(1000);
            Some((t.trim(), value))
        })
        .collect()
}

/// A weight (RFC 9110 12.4.2) in thousandths.
fn qvalue(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_header() {
        let result = super::parse_header_value("text/html, text/plain; q=0.5 , image/png ; q=0, gzip;q=1.000, x;q=1.5, y;q=0.1234");
        let weights: Vec<(&str, u16)> = result;
        assert_eq!(weights, [("text/html", 1000), ("text/plain", 500), ("image/png", 0), ("gzip", 1000), ("x", 1000), ("y", 1000)]);
    }
}

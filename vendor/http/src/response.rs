use crate::common::{HTTPVersion, Header, StatusCode};
use httpdate::HttpDate;
use std::sync::mpsc::Receiver;

use std::io::Result as IoResult;
use std::io::{self, Cursor, Read, Write};

use std::str::FromStr;
use std::time::SystemTime;

/// Object representing an HTTP response whose purpose is to be given to a `Request`.
///
/// Some headers cannot be changed. Trying to define the value
/// of one of these will have no effect:
///
///  - `Connection`
///  - `Trailer`
///  - `Transfer-Encoding`
///  - `Upgrade`
///
/// Some headers have special behaviors:
///
/// - `Content-Encoding`: If you define this header, the library will assume
///   that the data from the `Read` object has the specified encoding and will
///   just pass it through.
/// - `Content-Length`: The length of the data should be set through the
///   `Response` object's API. Setting this header is the same as changing the
///   size of the data, but the header itself may not be in the final result.
/// - `Content-Type`: You may only set this header to one value at a time; a
///   second value replaces the first, where most headers may be set several
///   times in the same response.
///
pub struct Response<R> {
    reader: R,
    status_code: StatusCode,
    headers: Vec<Header>,
    /// camcgi: headers whose names and values are constants, kept without
    /// an allocation each (see `with_static_header`).
    static_headers: Vec<(&'static str, &'static str)>,
    data_length: Option<usize>,
    chunked_threshold: Option<usize>,
}

/// A `Response` without a template parameter.
pub type ResponseBox = Response<Box<dyn Read + Send>>;

/// Transfer encoding to use when sending the message.
/// Note that only *supported* encoding are listed here.
#[derive(Copy, Clone)]
enum TransferEncoding {
    Identity,
    Chunked,
}

impl FromStr for TransferEncoding {
    type Err = ();

    fn from_str(input: &str) -> Result<TransferEncoding, ()> {
        if input.eq_ignore_ascii_case("identity") {
            Ok(TransferEncoding::Identity)
        } else if input.eq_ignore_ascii_case("chunked") {
            Ok(TransferEncoding::Chunked)
        } else {
            Err(())
        }
    }
}

/// camcgi: the value of a `Date` header for now. Formatted once a second:
/// upstream formatted it, and built a header of it, for every answer.
fn http_date() -> [u8; 29] {
    use std::cell::Cell;
    thread_local!(static FORMATTED: Cell<(u64, [u8; 29])> = const { Cell::new((u64::MAX, [b' '; 29])) });
    let now = SystemTime::now();
    let second = now.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    FORMATTED.with(|formatted| {
        let (at, text) = formatted.get();
        if at == second {
            return text;
        }
        let mut text = [b' '; 29];
        let date = HttpDate::from(now).to_string();
        let n = date.len().min(text.len());
        text[..n].copy_from_slice(&date.as_bytes()[..n]);
        formatted.set((second, text));
        text
    })
}

/// `n` in decimal, in the end of `digits`.
fn decimal(mut n: usize, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &digits[start..];
        }
    }
}

/// camcgi: writes a whole response head at once. Upstream wrote it in a
/// dozen small writes, and built a header of each of `Date`, `Server` and
/// `Content-Length` (two allocations each) to write them.
fn write_message_header<W>(
    mut writer: W,
    http_version: &HTTPVersion,
    status_code: &StatusCode,
    first: &[(&str, &[u8])],
    headers: &[Header],
    static_headers: &[(&'static str, &'static str)],
    last: &[(&str, &[u8])],
) -> IoResult<()>
where
    W: Write,
{
    let given = headers.iter().map(|h| (h.field.as_str().as_str(), h.value.as_str().as_bytes()));
    let constant = static_headers.iter().map(|&(field, value)| (field, value.as_bytes()));
    let lines = || first.iter().copied().chain(given.clone()).chain(constant.clone()).chain(last.iter().copied());
    let write_head = |head: &mut dyn Write| -> IoResult<()> {
        write!(head, "HTTP/{}.{} {} {}\r\n", http_version.0, http_version.1, status_code.0, status_code.default_reason_phrase())?;
        for (field, value) in lines() {
            head.write_all(field.as_bytes())?;
            head.write_all(b": ")?;
            head.write_all(value)?;
            head.write_all(b"\r\n")?;
        }
        head.write_all(b"\r\n")
    };
    // The status line takes at most 64 bytes; a usual head fits on the stack.
    let length = 64 + lines().map(|(field, value)| field.len() + value.len() + 4).sum::<usize>() + 2;
    const ON_STACK: usize = 768;
    if length <= ON_STACK {
        let mut stack = [0u8; ON_STACK];
        let mut head = Cursor::new(&mut stack[..]);
        write_head(&mut head)?;
        let written = head.position() as usize;
        writer.write_all(&stack[..written])
    } else {
        let mut head = Vec::with_capacity(length);
        write_head(&mut head)?;
        writer.write_all(&head)
    }
}

fn choose_transfer_encoding(
    status_code: StatusCode,
    request_headers: &[Header],
    http_version: &HTTPVersion,
    entity_length: &Option<usize>,
    has_additional_headers: bool,
    chunked_threshold: usize,
) -> TransferEncoding {
    use crate::util;

    // HTTP 1.0 doesn't support other encoding
    if *http_version <= (1, 0) {
        return TransferEncoding::Identity;
    }

    // Per section 3.3.1 of RFC7230:
    // A server MUST NOT send a Transfer-Encoding header field in any response with a status code
    // of 1xx (Informational) or 204 (No Content).
    if status_code.0 < 200 || status_code.0 == 204 {
        return TransferEncoding::Identity;
    }

    // parsing the request's TE header
    let user_request = request_headers
        .iter()
        // finding TE
        .find(|h| h.field.equiv("TE"))
        // getting its value
        .map(|h| h.value.clone())
        // getting the corresponding TransferEncoding
        .and_then(|value| {
            // getting list of requested elements
            let mut parse = util::parse_header_value(value.as_str()); // TODO: remove conversion

            // sorting elements by most priority
            parse.sort_by_key(|element| std::cmp::Reverse(element.1));

            // trying to parse each requested encoding
            for value in parse.iter() {
                // q=0 are ignored
                if value.1 == 0 {
                    continue;
                }

                if let Ok(te) = TransferEncoding::from_str(value.0) {
                    return Some(te);
                }
            }

            // encoding not found
            None
        });

    if let Some(user_request) = user_request {
        return user_request;
    }

    // if we have additional headers, using chunked
    if has_additional_headers {
        return TransferEncoding::Chunked;
    }

    // if we don't have a Content-Length, or if the Content-Length is too big, using chunks writer
    if entity_length.as_ref().is_none_or(|val| *val >= chunked_threshold) {
        return TransferEncoding::Chunked;
    }

    // Identity by default
    TransferEncoding::Identity
}

impl<R> Response<R>
where
    R: Read,
{
    /// Creates a new Response object.
    ///
    /// The `additional_headers` argument is a receiver that
    ///  may provide headers even after the response has been sent.
    ///
    /// All the other arguments are straight-forward.
    pub fn new(
        status_code: StatusCode,
        headers: Vec<Header>,
        data: R,
        data_length: Option<usize>,
        additional_headers: Option<Receiver<Header>>,
    ) -> Response<R> {
        let mut response =
            Response { reader: data, status_code, headers: Vec::new(), static_headers: Vec::new(), data_length, chunked_threshold: None };

        for h in headers {
            response.add_header(h)
        }

        // dummy implementation
        if let Some(additional_headers) = additional_headers {
            for h in additional_headers.iter() {
                response.add_header(h)
            }
        }

        response
    }

    /// Set a threshold for `Content-Length` where we chose chunked
    /// transfer. Notice that chunked transfer might happen regardless of
    /// this threshold, for instance when the request headers indicate
    /// it is wanted or when there is no `Content-Length`.
    pub fn with_chunked_threshold(mut self, length: usize) -> Response<R> {
        self.chunked_threshold = Some(length);
        self
    }

    /// The current `Content-Length` threshold for switching over to
    /// chunked transfer. The default is 32768 bytes. Notice that
    /// chunked transfer is mutually exclusive with sending a
    /// `Content-Length` header as per the HTTP spec.
    pub fn chunked_threshold(&self) -> usize {
        self.chunked_threshold.unwrap_or(32768)
    }

    /// camcgi: says `Connection: close`, which `add_header` refuses to add:
    /// a client that is not told tries the closed connection again.
    pub fn with_connection_close(mut self) -> Self {
        self.static_headers.push(("Connection", "close"));
        self
    }

    /// camcgi: adds a header whose name and value are constants. Upstream
    /// built every header of two allocated strings; most of an answer's
    /// headers are constants. The caller vouches for the name and value
    /// (no line breaks) and that `add_header`'s special names are not among
    /// them.
    pub fn with_static_header(mut self, field: &'static str, value: &'static str) -> Self {
        self.static_headers.push((field, value));
        self
    }

    /// Adds a header to the list.
    /// Does all the checks.
    pub fn add_header<H>(&mut self, header: H)
    where
        H: Into<Header>,
    {
        let header = header.into();

        // ignoring forbidden headers
        if header.field.equiv("Connection")
            || header.field.equiv("Trailer")
            || header.field.equiv("Transfer-Encoding")
            || header.field.equiv("Upgrade")
        {
            return;
        }

        // if the header is Content-Length, setting the data length
        if header.field.equiv("Content-Length") {
            if let Ok(val) = usize::from_str(header.value.as_str()) {
                self.data_length = Some(val)
            }

            return;
        // if the header is Content-Type and it's already set, overwrite it
        } else if header.field.equiv("Content-Type") {
            if let Some(content_type_header) = self.headers.iter_mut().find(|h| h.field.equiv("Content-Type")) {
                content_type_header.value = header.value;
                return;
            }
        }

        self.headers.push(header);
    }

    /// Returns the same request, but with a different status code.
    #[inline]
    pub fn with_status_code<S>(mut self, code: S) -> Response<R>
    where
        S: Into<StatusCode>,
    {
        self.status_code = code.into();
        self
    }

    /// Prints the HTTP response to a writer.
    ///
    /// This function is the one used to send the response to the client's socket.
    /// Therefore you shouldn't expect anything pretty-printed or even readable.
    ///
    /// The HTTP version and headers passed as arguments are used to
    ///  decide which features (most notably, encoding) to use.
    ///
    /// Note: does not flush the writer.
    pub fn raw_print<W: Write>(
        mut self,
        mut writer: W,
        http_version: HTTPVersion,
        request_headers: &[Header],
        do_not_send_body: bool,
        upgrade: Option<&str>,
    ) -> IoResult<()> {
        let mut transfer_encoding = Some(choose_transfer_encoding(
            self.status_code,
            request_headers,
            &http_version,
            &self.data_length,
            false, /* TODO */
            self.chunked_threshold(),
        ));

        // camcgi: `Date` unless given, and an upgrade's headers, go first, as
        // upstream inserted them; they are written, not built. No `Server`
        // unless given: upstream named itself to every scanner.
        let date = http_date();
        let mut first: [(&str, &[u8]); 3] = [("", b""); 3];
        let mut firsts = 0;
        let mut put_first = |field: &'static str, value| {
            first[firsts] = (field, value);
            firsts += 1;
        };
        if let Some(upgrade) = upgrade {
            put_first("Connection", b"upgrade");
            put_first("Upgrade", upgrade.as_bytes());
            transfer_encoding = None;
        }
        let given = |name: &'static str| {
            self.headers.iter().any(|h| h.field.equiv(name)) || self.static_headers.iter().any(|h| h.0.eq_ignore_ascii_case(name))
        };
        if !given("Date") {
            put_first("Date", &date);
        }
        let first = &first[..firsts];

        // if the transfer encoding is identity, the content length must be known ; therefore if
        // we don't know it, we buffer the entire response first here
        // while this is an expensive operation, it is only ever needed for clients using HTTP 1.0
        // camcgi: the reader is used where it is, not boxed.
        let mut buffered;
        let (reader, data_length): (&mut dyn Read, _) = match (self.data_length, transfer_encoding) {
            (Some(l), _) => (&mut self.reader, Some(l)),
            (None, Some(TransferEncoding::Identity)) => {
                let mut buf = Vec::new();
                self.reader.read_to_end(&mut buf)?;
                let l = buf.len();
                buffered = Cursor::new(buf);
                (&mut buffered, Some(l))
            }
            _ => (&mut self.reader, None),
        };

        // checking whether to ignore the body of the response
        let do_not_send_body = do_not_send_body
            || match self.status_code.0 {
                // status code 1xx, 204 and 304 MUST not include a body
                100..=199 | 204 | 304 => true,
                _ => false,
            };

        // preparing headers for transfer
        let mut digits = [0u8; 20];
        let last: &[(&str, &[u8])] = match transfer_encoding {
            Some(TransferEncoding::Chunked) => &[("Transfer-Encoding", b"chunked")],

            Some(TransferEncoding::Identity) => {
                assert!(data_length.is_some());
                &[("Content-Length", decimal(data_length.unwrap_or(0), &mut digits))]
            }

            _ => &[],
        };

        // sending headers
        write_message_header(writer.by_ref(), &http_version, &self.status_code, first, &self.headers, &self.static_headers, last)?;

        // sending the body
        if !do_not_send_body {
            match transfer_encoding {
                Some(TransferEncoding::Chunked) => {
                    use chunked_transfer::Encoder;

                    let mut writer = Encoder::new(writer);
                    io::copy(reader, &mut writer)?;
                }

                Some(TransferEncoding::Identity) => {
                    assert!(data_length.is_some());
                    let data_length = data_length.unwrap();

                    if data_length >= 1 {
                        io::copy(reader, &mut writer)?;
                    }
                }

                _ => (),
            }
        }

        Ok(())
    }

    /// Retrieves the current value of the `Response` status code
    pub fn status_code(&self) -> StatusCode {
        self.status_code
    }

    /// Retrieves the current value of the `Response` data length
    pub fn data_length(&self) -> Option<usize> {
        self.data_length
    }

    /// Retrieves the current list of `Response` headers
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }
}

impl Response<Cursor<Vec<u8>>> {
    pub fn from_data<D>(data: D) -> Response<Cursor<Vec<u8>>>
    where
        D: Into<Vec<u8>>,
    {
        let data = data.into();
        let data_len = data.len();

        Response::new(StatusCode(200), Vec::with_capacity(0), Cursor::new(data), Some(data_len), None)
    }
}

impl Response<io::Empty> {
    /// Builds an empty `Response` with the given status code.
    pub fn empty<S>(status_code: S) -> Response<io::Empty>
    where
        S: Into<StatusCode>,
    {
        Response::new(status_code.into(), Vec::with_capacity(0), io::empty(), Some(0), None)
    }

    /// DEPRECATED. Use `empty` instead.
    pub fn new_empty(status_code: StatusCode) -> Response<io::Empty> {
        Response::empty(status_code)
    }
}

impl Clone for Response<io::Empty> {
    fn clone(&self) -> Response<io::Empty> {
        Response {
            reader: io::empty(),
            status_code: self.status_code,
            headers: self.headers.clone(),
            static_headers: self.static_headers.clone(),
            data_length: self.data_length,
            chunked_threshold: self.chunked_threshold,
        }
    }
}

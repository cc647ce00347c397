use std::io::Error as IoError;
use std::io::{self, Cursor, ErrorKind, Read, Write};

use std::fmt;
use std::net::SocketAddr;

use std::sync::Arc;

use crate::util::{EqualReader, FusedReader, Watch};
use crate::{HTTPVersion, Header, Method, Response, StatusCode};
use chunked_transfer::Decoder;

/// Represents an HTTP request made by a client.
///
/// A `Request` object is what is produced by the server, and is your what
/// your code must analyse and answer.
///
/// This object implements the `Send` trait, therefore you can dispatch your requests to
/// worker threads.
///
/// # Pipelining
///
/// If a client sends multiple requests in a row (without waiting for the response), then you will
/// get multiple `Request` objects simultaneously. This is called *requests pipelining*.
/// Tiny-http automatically reorders the responses so that you don't need to worry about the order
/// in which you call `respond` or `into_writer`.
///
/// This mechanic is disabled if:
///
///  - The body of a request is large enough (handling requires pipelining requires storing the
///    body of the request in a buffer ; if the body is too big, tiny-http will avoid doing that)
///  - A request sends a `Expect: 100-continue` header (which means that the client waits to
///    know whether its body will be processed before sending it)
///  - A request sends a `Connection: close` header or `Connection: upgrade` header (used for
///    websockets), which indicates that this is the last request that will be received on this
///    connection
///
/// # Automatic cleanup
///
/// If a `Request` object is destroyed without `respond` being called,
/// an empty response with a 500 status code (internal server error) will automatically be
/// sent back to the client.
/// This means that if your code fails during the handling of a request, this "internal server
/// error" response will automatically be sent during the stack unwinding.
pub struct Request {
    // where to read the body from
    data_reader: Option<Box<dyn Read + Send + 'static>>,

    // if this writer is empty, then the request has been answered
    response_writer: Option<Box<dyn Write + Send + 'static>>,

    remote_addr: Option<SocketAddr>,

    // true if HTTPS, false if HTTP
    method: Method,

    path: String,

    http_version: HTTPVersion,

    headers: Vec<Header>,

    body_length: Option<usize>,

    // camcgi: the body's length cannot be told for sure (see `framing_is_valid`)
    bad_framing: bool,

    // camcgi: the connection ends after this request's answer, which says so
    closing: bool,

    // true if a `100 Continue` response must be sent when `as_reader()` is called
    must_send_continue: bool,

    // camcgi: the connection's phase, for the police (none for a `TestRequest`)
    watch: Option<Arc<Watch>>,

    // camcgi: the request came over TLS
    secure: bool,
}

/// Error that can happen when building a `Request` object.
#[derive(Debug)]
pub enum RequestCreationError {
    /// The client sent an `Expect` header that was not recognized by tiny-http.
    ExpectationFailed,

    /// Error while reading data from the socket during the creation of the `Request`.
    CreationIoError,
}

impl From<IoError> for RequestCreationError {
    fn from(_: IoError) -> RequestCreationError {
        RequestCreationError::CreationIoError
    }
}

/// Builds a new request.
///
/// After the request line and headers have been read from the socket, a new `Request` object
/// is built.
///
/// You must pass a `Read` that will allow the `Request` object to read from the incoming data.
/// It is the responsibility of the `Request` to read only the data of the request and not further.
///
/// The `Write` object will be used by the `Request` to write the response.
#[allow(clippy::too_many_arguments)]
/// camcgi: whether a request's body length is certain (RFC 9112 section 6.3).
/// Upstream read the first `Content-Length` that parsed as a number and took
/// any `Transfer-Encoding` as chunked, so `Content-Length: 0` with `70`,
/// `-1`, `+5` or `Transfer-Encoding: xchunked` left bytes it did not read as
/// a body to be read as the next request: a desync behind any proxy. Valid:
/// no `Transfer-Encoding` and every `Content-Length` value the same string of
/// digits, or `Transfer-Encoding: chunked` alone on HTTP/1.1 without any
/// `Content-Length`.
fn framing_is_valid(headers: &[Header], version: &HTTPVersion) -> bool {
    let values =
        |name: &'static str| headers.iter().filter(move |h| h.field.equiv(name)).flat_map(|h| h.value.as_str().split(',')).map(str::trim);
    let mut encodings = values("Transfer-Encoding").peekable();
    let mut lengths = values("Content-Length").peekable();
    match (encodings.peek().is_some(), lengths.peek().copied()) {
        (false, None) => true,
        (false, Some(first)) => {
            !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) && first.parse::<usize>().is_ok() && lengths.all(|v| v == first)
        }
        (true, Some(_)) => false,
        (true, None) => {
            *version >= HTTPVersion(1, 1)
                && encodings.next().is_some_and(|e| e.eq_ignore_ascii_case("chunked"))
                && encodings.next().is_none()
        }
    }
}

/// camcgi: a body of up to this many bytes, sent without `Expect`, is read
/// whole before the request is handed over.
pub(crate) const SMALL_BODY: usize = 1024;

/// camcgi: how a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Framing {
    /// No body.
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// Chunks, up to the last chunk.
    Chunked,
    /// `Connection: upgrade`: the rest of the connection.
    Upgrade,
    /// The length cannot be told for sure (see `framing_is_valid`): no body
    /// is read, and the connection ends after the answer.
    Invalid,
}

/// camcgi: whether a header's value holds `word`, in any case (without
/// building a lower-case copy of the value for every request).
fn says(value: &str, word: &str) -> bool {
    value.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// camcgi: what a request's `Expect` header asks for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expectation {
    None,
    /// `100-continue`: the client sends its body once told to.
    Continue,
    /// Anything else: refused with 417.
    Unknown,
}

pub(crate) fn expectation(headers: &[Header]) -> Expectation {
    match headers.iter().find(|h| h.field.equiv("Expect")).map(|h| h.value.as_str()) {
        None => Expectation::None,
        Some(v) if v.eq_ignore_ascii_case("100-continue") => Expectation::Continue,
        Some(_) => Expectation::Unknown,
    }
}

pub(crate) fn body_framing(headers: &[Header], version: &HTTPVersion) -> Framing {
    let header = |name: &'static str| headers.iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str());
    if !framing_is_valid(headers, version) {
        Framing::Invalid
    } else if header("Connection").is_some_and(|v| says(v, "upgrade")) {
        Framing::Upgrade
    } else if header("Transfer-Encoding").is_some() {
        // if transfer-encoding is specified, the Content-Length
        // header must be ignored (RFC2616 #4.4)
        Framing::Chunked
    } else {
        // A list of identical values (`N, N`, which `framing_is_valid` has
        // checked) is that value.
        match header("Content-Length").and_then(|v| v.split(',').next()?.trim().parse().ok()) {
            Some(n) => Framing::Length(n),
            None => Framing::Empty,
        }
    }
}

pub fn new_request<R, W>(
    method: Method,
    path: String,
    version: HTTPVersion,
    headers: Vec<Header>,
    remote_addr: Option<SocketAddr>,
    mut source_data: R,
    writer: W,
) -> Result<Request, RequestCreationError>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    // camcgi: how the body is delimited, decided in one place for this
    // function and for the event loop, which must know how much of it to
    // wait for. A request whose framing is in doubt gets no body at all; the
    // connection ends after its answer, so no byte of it is read as a request.
    let framing = body_framing(&headers, &version);
    let bad_framing = framing == Framing::Invalid;
    let content_length = match framing {
        Framing::Length(n) => Some(n),
        _ => None,
    };

    // camcgi: whether the connection ends after this request. A chunked body
    // may be read past its end, and an upgrade hands the connection over, so
    // both end it too.
    let closing = matches!(framing, Framing::Invalid | Framing::Chunked | Framing::Upgrade) || {
        let connection = headers.iter().find(|h: &&Header| h.field.equiv("Connection")).map(|h| h.value.as_str());
        match connection {
            Some(v) => says(v, "close") || (version == HTTPVersion(1, 0) && !says(v, "keep-alive")),
            None => version == HTTPVersion(1, 0),
        }
    };

    // true if the client sent a `Expect: 100-continue` header
    let expects_continue = match expectation(&headers) {
        Expectation::None => false,
        Expectation::Continue => true,
        Expectation::Unknown => return Err(RequestCreationError::ExpectationFailed),
    };

    // we wrap `source_data` around a reading whose nature depends on the transfer-encoding and
    // content-length headers
    let reader = match framing {
        Framing::Invalid | Framing::Empty | Framing::Length(0) => Box::new(io::empty()) as Box<dyn Read + Send + 'static>,
        // if we have a `Connection: upgrade`, always keeping the whole reader
        Framing::Upgrade => Box::new(source_data) as Box<dyn Read + Send + 'static>,
        Framing::Length(content_length) if content_length <= SMALL_BODY && !expects_continue => {
            // if the content-length is small enough, we just read everything into a buffer
            let mut buffer = vec![0; content_length];
            let mut offset = 0;

            while offset != content_length {
                let read = source_data.read(&mut buffer[offset..])?;
                if read == 0 {
                    // The connection closed before the declared length came.
                    return Err(RequestCreationError::CreationIoError);
                }

                offset += read;
            }

            Box::new(Cursor::new(buffer)) as Box<dyn Read + Send + 'static>
        }
        Framing::Length(content_length) => {
            let (data_reader, _) = EqualReader::new(source_data, content_length);
            Box::new(FusedReader::new(data_reader)) as Box<dyn Read + Send + 'static>
        }
        // "chunked" is the only transfer-encoding let through (RFC2616 #3.6)
        Framing::Chunked => Box::new(FusedReader::new(Decoder::new(source_data))) as Box<dyn Read + Send + 'static>,
    };

    Ok(Request {
        data_reader: Some(reader),
        response_writer: Some(Box::new(writer) as Box<dyn Write + Send + 'static>),
        remote_addr,
        method,
        path,
        http_version: version,
        headers,
        body_length: content_length,
        bad_framing,
        closing,
        must_send_continue: !bad_framing && expects_continue,
        watch: None,
        secure: false,
    })
}

impl Request {
    /// Returns the method requested by the client (eg. `GET`, `POST`, etc.).
    #[inline]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Returns the resource requested by the client.
    #[inline]
    pub fn url(&self) -> &str {
        &self.path
    }

    /// Returns a list of all headers sent by the client.
    #[inline]
    pub fn headers(&self) -> &[Header] {
        &self.headers
    }

    /// Returns the HTTP version of the request.
    #[inline]
    pub fn http_version(&self) -> &HTTPVersion {
        &self.http_version
    }

    /// Returns the length of the body in bytes.
    ///
    /// Returns `None` if the length is unknown.
    #[inline]
    pub fn body_length(&self) -> Option<usize> {
        self.body_length
    }

    /// camcgi: whether the request's `Content-Length` or `Transfer-Encoding`
    /// leaves its length in doubt (RFC 9112 section 6.3). Such a request has
    /// no body, and it is the connection's last: answer 400.
    pub fn bad_framing(&self) -> bool {
        self.bad_framing
    }

    /// camcgi: whether the connection ends after this request.
    pub(crate) fn closes_connection(&self) -> bool {
        self.closing
    }

    /// Returns the address of the client that sent this request.
    ///
    /// The address is always `Some` for TCP listeners, but always `None` for UNIX listeners
    /// (as the remote address of a UNIX client is almost always unnamed).
    ///
    /// Note that this is gathered from the socket. If you receive the request from a proxy,
    /// this function will return the address of the proxy and not the address of the actual
    /// user.
    #[inline]
    pub fn remote_addr(&self) -> Option<&SocketAddr> {
        self.remote_addr.as_ref()
    }

    /// Sends a response with a `Connection: upgrade` header, then turns the `Request` into a `Stream`.
    ///
    /// The main purpose of this function is to support websockets.
    /// If you detect that the request wants to use some kind of protocol upgrade, you can
    ///  call this function to obtain full control of the socket stream.
    ///
    /// If you call this on a non-websocket request, tiny-http will wait until this `Stream` object
    ///  is destroyed before continuing to read or write on the socket. Therefore you should always
    ///  destroy it as soon as possible.
    pub fn upgrade<R: Read>(mut self, protocol: &str, response: Response<R>) -> Box<dyn ReadWrite + Send> {
        use crate::util::CustomStream;

        response
            .raw_print(self.response_writer.as_mut().unwrap().by_ref(), self.http_version.clone(), &self.headers, false, Some(protocol))
            .ok(); // TODO: unused result

        self.response_writer.as_mut().unwrap().flush().ok(); // TODO: unused result

        // camcgi: the connection is the caller's from now on.
        if let Some(watch) = &self.watch {
            watch.end_after_answer();
        }
        let stream = CustomStream::new(self.extract_reader_impl(), self.extract_writer_impl());
        Box::new(stream) as Box<dyn ReadWrite + Send>
    }

    /// Allows to read the body of the request.
    ///
    /// # Example
    ///
    /// ```ignore
    /// # extern crate rustc_serialize;
    /// # extern crate camcgi_http;
    /// # use rustc_serialize::json::Json;
    /// # use std::io::Read;
    /// # fn get_content_type(_: &camcgi_http::Request) -> &'static str { "" }
    /// # fn main() {
    /// # let server = camcgi_http::Server::http("0.0.0.0:0").unwrap();
    /// let mut request = server.recv().unwrap();
    ///
    /// if get_content_type(&request) == "application/json" {
    ///     let mut content = String::new();
    ///     request.as_reader().read_to_string(&mut content).unwrap();
    ///     let json: Json = content.parse().unwrap();
    /// }
    /// # }
    /// ```
    ///
    /// If the client sent a `Expect: 100-continue` header with the request, calling this
    ///  function will send back a `100 Continue` response.
    #[inline]
    pub fn as_reader(&mut self) -> &mut dyn Read {
        if self.must_send_continue {
            let msg = Response::new_empty(StatusCode(100));
            msg.raw_print(self.response_writer.as_mut().unwrap().by_ref(), self.http_version.clone(), &self.headers, true, None).ok();
            self.response_writer.as_mut().unwrap().flush().ok();
            self.must_send_continue = false;
        }

        self.data_reader.as_mut().unwrap()
    }

    /// Extract the response `Writer` object from the Request, dropping this `Writer` has the same side effects
    /// as the object returned by `into_writer` above.
    ///
    /// This may only be called once on a single request.
    fn extract_writer_impl(&mut self) -> Box<dyn Write + Send + 'static> {
        use std::mem;

        assert!(self.response_writer.is_some());

        let mut writer = None;
        mem::swap(&mut self.response_writer, &mut writer);
        writer.unwrap()
    }

    /// Extract the body `Reader` object from the Request.
    ///
    /// This may only be called once on a single request.
    fn extract_reader_impl(&mut self) -> Box<dyn Read + Send + 'static> {
        use std::mem;

        assert!(self.data_reader.is_some());

        let mut reader = None;
        mem::swap(&mut self.data_reader, &mut reader);
        reader.unwrap()
    }

    /// camcgi: whether the client has closed its side of the connection
    /// (a long-poll whose client gave up takes nothing it could not deliver).
    pub fn peer_gone(&self) -> bool {
        self.watch.as_ref().is_some_and(|watch| watch.peer_gone())
    }

    /// Sends a response to this request.
    #[inline]
    pub fn respond<R>(mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        self.respond_impl(response)
    }

    /// camcgi: the police bounds the time the answer takes to write, and a
    /// connection whose answer could not be written whole ends, with what it
    /// pipelined behind.
    fn respond_impl<R>(&mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        if let Some(watch) = &self.watch {
            watch.writing();
        }
        let written = self.write_answer(response);
        if let Some(watch) = &self.watch {
            watch.handling();
            if written.is_err() || self.closing {
                watch.end_after_answer();
            }
        }
        written
    }

    fn write_answer<R>(&mut self, response: Response<R>) -> Result<(), IoError>
    where
        R: Read,
    {
        let mut writer = self.extract_writer_impl();

        let do_not_send_body = self.method == Method::Head;
        let response = if self.closing { response.with_connection_close() } else { response };

        Self::ignore_client_closing_errors(response.raw_print(
            writer.by_ref(),
            self.http_version.clone(),
            &self.headers,
            do_not_send_body,
            None,
        ))?;

        Self::ignore_client_closing_errors(writer.flush())
    }

    fn ignore_client_closing_errors(result: io::Result<()>) -> io::Result<()> {
        result.or_else(|err| match err.kind() {
            ErrorKind::BrokenPipe => Ok(()),
            ErrorKind::ConnectionAborted => Ok(()),
            ErrorKind::ConnectionRefused => Ok(()),
            ErrorKind::ConnectionReset => Ok(()),
            _ => Err(err),
        })
    }

    /// camcgi: whether the request came over TLS.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    pub(crate) fn with_secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    pub(crate) fn with_watch(mut self, watch: Arc<Watch>) -> Self {
        if let Some(inner) = self.data_reader.take() {
            self.data_reader = Some(Box::new(BodyEnd { inner, watch: watch.clone() }));
        }
        self.watch = Some(watch);
        self
    }

    /// camcgi: reads nothing more from the connection (a body the server
    /// will not use: otherwise it is read to its end, for as long as the
    /// client sends, before the next request), and ends the connection after
    /// the answer, which says so. What the connection has received already
    /// is still read, so the client sees the answer rather than a reset.
    pub fn stop_reading(&mut self) {
        self.closing = true;
        if let Some(watch) = &self.watch {
            watch.stop_reading();
        }
    }
}

/// camcgi: a request's body, which tells the police when it has been read
/// to its end: the application's work after it is not held to a body's rate.
struct BodyEnd {
    inner: Box<dyn Read + Send + 'static>,
    watch: Arc<Watch>,
}

impl Read for BodyEnd {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.watch.body_read();
        }
        Ok(n)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> Result<(), fmt::Error> {
        write!(formatter, "Request({} {} from {:?})", self.method, self.path, self.remote_addr)
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        if self.response_writer.is_some() {
            let response = Response::empty(500);
            let _ = self.respond_impl(response);
        }
    }
}

/// Dummy trait that regroups the `Read` and `Write` traits.
///
/// Automatically implemented on all types that implement both `Read` and `Write`.
pub trait ReadWrite: Read + Write {}
impl<T> ReadWrite for T where T: Read + Write {}

#[cfg(test)]
mod tests {
    use super::Request;

    #[test]
    fn must_be_send() {
        #![allow(dead_code)]
        fn f<T: Send>(_: &T) {}
        fn bar(rq: &Request) {
            f(rq);
        }
    }
}

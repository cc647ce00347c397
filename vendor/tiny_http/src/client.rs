use ascii::AsciiString;

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::io::{BufReader, BufWriter, ErrorKind, Read};

use std::net::SocketAddr;
use std::str::FromStr;

use crate::common::{HTTPVersion, Method};
use crate::util::RefinedTcpStream;
use crate::util::shared::{read_line, SharedReader, SharedWriter};
use crate::Request;

/// A ClientConnection is an object that will store a socket to a client
/// and return Request objects.
pub struct ClientConnection {
    // address of the client
    // camcgi: as `accept` gave it; asking the socket later fails once the
    // police has shut it (upstream then panicked)
    remote_addr: Option<SocketAddr>,

    // camcgi: the connection's reader and writer, shared with the request
    // being answered (see `util/shared.rs`)
    source: SharedReader<BufReader<RefinedTcpStream>>,
    sink: SharedWriter<BufWriter<RefinedTcpStream>>,

    // set to true if we know that the previous request is the last one
    no_more_requests: bool,

    // true if the connection goes through SSL
    secure: bool,

    // camcgi: the connection's phase, for the police
    watch: std::sync::Arc<crate::util::Watch>,
}

/// Error that can happen when reading a request.
#[derive(Debug)]
enum ReadError {
    WrongRequestLine,
    /// camcgi: a request line longer than `MAX_LINE`
    RequestLineTooLong,
    /// camcgi: a header line longer than `MAX_LINE`, or more than `MAX_HEADERS`
    HeadTooLarge(HTTPVersion),
    WrongHeader(HTTPVersion),
    /// the client sent an unrecognized `Expect` header
    ExpectationFailed(HTTPVersion),
    ReadIoError(IoError),
}

// camcgi: bounds on a request head. Upstream let a header line, and the
// list of headers, grow for as long as the client kept sending.
const MAX_LINE: usize = 8 * 1024;
const MAX_HEADERS: usize = 100;

fn line_too_long() -> IoError {
    IoError::new(ErrorKind::InvalidData, "line too long")
}

fn is_line_too_long(e: &IoError) -> bool {
    e.kind() == ErrorKind::InvalidData && e.to_string() == "line too long"
}

impl ClientConnection {
    /// Creates a new `ClientConnection` that takes ownership of the `TcpStream`.
    pub fn new(
        write_socket: RefinedTcpStream,
        read_socket: RefinedTcpStream,
        remote_addr: Option<SocketAddr>,
        watch: std::sync::Arc<crate::util::Watch>,
    ) -> ClientConnection {
        let secure = read_socket.secure();

        ClientConnection {
            source: SharedReader::new(BufReader::with_capacity(1024, read_socket)),
            sink: SharedWriter::new(BufWriter::with_capacity(1024, write_socket)),
            remote_addr,
            no_more_requests: false,
            secure,
            watch,
        }
    }

    /// true if the connection is HTTPS
    pub fn secure(&self) -> bool {
        self.secure
    }

    /// Reads the next line of a request head, without its CRLF.
    ///
    /// camcgi: from the buffer a line at a time; upstream read it a byte at
    /// a time through three layers of readers.
    fn read_next_line(&mut self) -> IoResult<AsciiString> {
        let mut line = Vec::new();
        if !read_line(&mut *self.source.lock(), &mut line, MAX_LINE)? {
            return Err(line_too_long());
        }
        AsciiString::from_ascii(line).map_err(|_| IoError::new(ErrorKind::InvalidInput, "Header is not in ASCII"))
    }

    /// Reads a request from the stream.
    /// Blocks until the header has been read.
    fn read(&mut self) -> Result<Request, ReadError> {
        let (method, path, version, headers) = {
            // reading the request line
            let (method, path, version) = {
                let line = self.read_next_line().map_err(|e| {
                    if is_line_too_long(&e) {
                        ReadError::RequestLineTooLong
                    } else {
                        ReadError::ReadIoError(e)
                    }
                })?;

                parse_request_line(
                    line.as_str().trim(), // TODO: remove this conversion
                )?
            };

            // getting all headers
            let headers = {
                let mut headers = Vec::new();
                loop {
                    let line = self.read_next_line().map_err(|e| {
                        if is_line_too_long(&e) {
                            ReadError::HeadTooLarge(version.clone())
                        } else {
                            ReadError::ReadIoError(e)
                        }
                    })?;

                    if line.is_empty() {
                        break;
                    };
                    if headers.len() >= MAX_HEADERS {
                        return Err(ReadError::HeadTooLarge(version));
                    }
                    headers.push(match FromStr::from_str(line.as_str().trim()) {
                        // TODO: remove this conversion
                        Ok(h) => h,
                        _ => return Err(ReadError::WrongHeader(version)),
                    });
                }

                headers
            };

            (method, path, version, headers)
        };

        // building the writer and the body's reader for the request
        let writer = self.sink.share();
        let data_source = self.source.share();

        // building the next reader
        let request = crate::request::new_request(
            self.secure,
            method,
            path,
            version.clone(),
            headers,
            self.remote_addr,
            data_source,
            writer,
        )
        .map_err(|e| {
            use crate::request;
            match e {
                request::RequestCreationError::CreationIoError(e) => ReadError::ReadIoError(e),
                request::RequestCreationError::ExpectationFailed => {
                    ReadError::ExpectationFailed(version)
                }
            }
        })?;

        // return the request
        Ok(request.with_watch(self.watch.clone()))
    }
}

impl Iterator for ClientConnection {
    type Item = Request;

    /// Blocks until the next Request is available.
    /// Returns None when no new Requests will come from the client.
    fn next(&mut self) -> Option<Request> {
        use crate::{Response, StatusCode};

        // the client sent a "connection: close" header in this previous request
        //  or is using HTTP 1.0, meaning that no new request will come
        if self.no_more_requests {
            return None;
        }

        loop {
            let rq = match self.read() {
                Err(ReadError::WrongRequestLine) => {
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(400)).with_connection_close();
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::RequestLineTooLong) => {
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(414)).with_connection_close();
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None;
                }

                Err(ReadError::HeadTooLarge(ver)) => {
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(431)).with_connection_close();
                    response.raw_print(writer, ver, &[], false, None).ok();
                    return None;
                }

                Err(ReadError::WrongHeader(ver)) => {
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(400)).with_connection_close();
                    response.raw_print(writer, ver, &[], false, None).ok();
                    return None; // we don't know where the next request would start,
                                 // se we have to close
                }

                Err(ReadError::ReadIoError(ref err)) if err.kind() == ErrorKind::TimedOut => {
                    // request timeout
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(408)).with_connection_close();
                    response
                        .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                        .ok();
                    return None; // closing the connection
                }

                Err(ReadError::ExpectationFailed(ver)) => {
                    let writer = self.sink.share();
                    let response = Response::new_empty(StatusCode(417)).with_connection_close();
                    response.raw_print(writer, ver, &[], true, None).ok();
                    return None; // TODO: should be recoverable, but needs handling in case of body
                }

                Err(ReadError::ReadIoError(_)) => return None,

                Ok(rq) => rq,
            };

            // checking HTTP version
            if *rq.http_version() > (1, 1) {
                let writer = self.sink.share();
                let response = Response::from_string(
                    "This server only supports HTTP versions 1.0 and 1.1".to_owned(),
                )
                .with_status_code(StatusCode(505));
                response
                    .raw_print(writer, HTTPVersion(1, 1), &[], false, None)
                    .ok();
                continue;
            }

            // camcgi: the request knows whether its connection ends after it
            // (the rule its answer's `Connection: close` follows too); an
            // upgrade hands the connection over.
            let upgrade = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("Connection"))
                .is_some_and(|h| h.value.as_str().to_ascii_lowercase().contains("upgrade"));
            if rq.closes_connection() || upgrade {
                self.no_more_requests = true;
            }

            // returning the request
            return Some(rq);
        }
    }
}

/// Parses a "HTTP/1.1" string.
fn parse_http_version(version: &str) -> Result<HTTPVersion, ReadError> {
    let (major, minor) = match version {
        "HTTP/0.9" => (0, 9),
        "HTTP/1.0" => (1, 0),
        "HTTP/1.1" => (1, 1),
        "HTTP/2.0" => (2, 0),
        "HTTP/3.0" => (3, 0),
        _ => return Err(ReadError::WrongRequestLine),
    };

    Ok(HTTPVersion(major, minor))
}

/// Parses the request line of the request.
/// eg. GET / HTTP/1.1
fn parse_request_line(line: &str) -> Result<(Method, String, HTTPVersion), ReadError> {
    let mut parts = line.split(' ');

    let method = parts.next().and_then(|w| w.parse().ok());
    let path = parts.next().map(ToOwned::to_owned);
    let version = parts.next().and_then(|w| parse_http_version(w).ok());

    method
        .and_then(|method| Some((method, path?, version?)))
        .ok_or(ReadError::WrongRequestLine)
}

#[cfg(test)]
mod test {
    #[test]
    fn test_parse_request_line() {
        let (method, path, ver) = super::parse_request_line("GET /hello HTTP/1.1").unwrap();

        assert!(method == crate::Method::Get);
        assert!(path == "/hello");
        assert!(ver == crate::common::HTTPVersion(1, 1));

        assert!(super::parse_request_line("GET /hello").is_err());
        assert!(super::parse_request_line("qsd qsd qsd").is_err());
    }
}

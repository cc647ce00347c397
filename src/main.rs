//! `camcgi [--listen ADDR:PORT] [--data-dir DIR] [--board mock] [--log-level LEVEL] `

// A handler that panics ends its own request (the front catches the
// unwind); aborting would end the server for every client.
#[cfg(not(panic = "unwind"))]
compile_error!("camcgi is built to unwind: a panic must end one request, never the server (profile.release.panic)");

use camcgi::process::logger;
use camcgi::Config;
use camcgi_hal::SystemMonotonic;
use log::LevelFilter;
use nix::sys::signal::{SigSet, Signal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: camcgi [--listen ADDR:PORT] [--data-dir DIR] [--board NAME] [--board-config FILE] [--log-level LEVEL]
              [--timeout SECS] [--max-connections N] [--firmware-key FILE] [--allow-downgrade] [--allow-origin ORIGIN]...
              [--host-name NAME]... [--discovery ADDR:PORT|off] [--https-listen ADDR:PORT|off]
  --listen     address to serve on (default 127.0.0.1:8080)
  --data-dir   where settings and accounts live (default ./camcgi-data)
  --board      board support to drive (default: the first this build has)
  --board-config  the board's configuration file (linux: TOML)
  --log-level  off, error, warn, info, debug or trace (default info)
  --timeout    seconds a connection may stay idle, take to send a request head, or to take an answer (default 15; 0: no limit)
  --max-connections  open connections at most; at the limit the longest idle is closed (default 64)
  --firmware-key     accept only firmware signed by this Ed25519 public key (file with 64 hex digits)
  --allow-downgrade  accept firmware older than the running one
  --allow-origin     a web origin whose pages may change settings and post firmware (CORS); repeatable
  --host-name        a name the camera answers to besides its addresses, localhost and its host name; repeatable
  --discovery        where WS-Discovery listens (default 0.0.0.0:3702; off: not at all)
  --https-listen     where HTTPS is served (default: the --listen address, port 443 if it is 80, else 8443; off: not at all)";

struct Args {
    config: Config,
    board: String,
    board_config: Option<PathBuf>,
    level: LevelFilter,
}

fn parse_args() -> Result<Args, String> {
    let mut config = Config::new(SocketAddr::from(([127, 0, 0, 1], 8080)), PathBuf::from("camcgi-data"));
    config.discovery = Some(SocketAddr::from(([0, 0, 0, 0], 3702)));
    let mut board = camcgi_boards::NAMES.first().map(|s| s.to_string()).unwrap_or_default();
    let mut board_config = None;
    let mut level = LevelFilter::Info;
    // None: the default, beside `--listen`.
    let mut https: Option<Option<SocketAddr>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--help" | "-h" => return Err(String::new()),
            "--allow-downgrade" => {
                config.firmware.allow_downgrade = true;
                continue;
            }
            _ => {}
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--listen" => config.listen = value.parse().map_err(|_| format!("--listen: not ADDR:PORT: {value}"))?,
            "--data-dir" => config.data_dir = PathBuf::from(value),
            "--board" => board = value,
            "--board-config" => board_config = Some(PathBuf::from(value)),
            "--log-level" => level = value.parse().map_err(|_| format!("--log-level: unknown level {value}"))?,
            "--firmware-key" => {
                let text = std::fs::read_to_string(&value).map_err(|e| format!("--firmware-key {value}: {e}"))?;
                let key = camcgi_fwimage::from_hex::<32>(&text)
                    .ok_or_else(|| format!("--firmware-key {value}: not a 64-digit hex public key"))?;
                config.firmware.public_key = Some(key);
            }
            "--allow-origin" => config.sites.allowed_origins.push(value),
            "--host-name" => config.sites.host_names.push(value),
            "--discovery" => {
                config.discovery = match value.as_str() {
                    "off" => None,
                    v => Some(v.parse().map_err(|_| format!("--discovery {v}: ADDR:PORT or off"))?),
                }
            }
            "--https-listen" => {
                https = Some(match value.as_str() {
                    "off" => None,
                    v => Some(v.parse().map_err(|_| format!("--https-listen {v}: ADDR:PORT or off"))?),
                })
            }
            "--timeout" => {
                let secs: u64 = value.parse().ok().filter(|s| *s <= 3600).ok_or("--timeout: 0-3600 seconds")?;
                config.timeout = (secs > 0).then(|| std::time::Duration::from_secs(secs));
            }
            "--max-connections" => {
                config.max_connections = value.parse().ok().filter(|n| (1..=1024).contains(n)).ok_or("--max-connections: 1-1024")?
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    config.https = https.unwrap_or_else(|| {
        let port = if config.listen.port() == 80 { 443 } else { 8443 };
        Some(SocketAddr::new(config.listen.ip(), port))
    });
    Ok(Args { config, board, board_config, level })
}

/// Every connection costs tiny-http two descriptors, and its accept thread
/// panics when the second cannot be had (EMFILE): take all the descriptors
/// the hard limit allows.
fn raise_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                log::warn!("open-file limit stays at {soft}: {e}");
            }
        }
        Ok(_) => {}
        Err(e) => log::warn!("open-file limit unknown: {e}"),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("camcgi: {e}");
            }
            eprintln!("{USAGE}\nboards in this build: {}", camcgi_boards::NAMES.join(", "));
            return ExitCode::from(2);
        }
    };
    logger::init(args.level);
    camcgi::process::heap::limit_arenas();
    raise_file_limit();
    // Block the stop signals before any thread starts, so every thread
    // inherits the mask and only the wait below receives them.
    let mut stop_signals = SigSet::empty();
    stop_signals.add(Signal::SIGINT);
    stop_signals.add(Signal::SIGTERM);
    if let Err(e) = stop_signals.thread_block() {
        log::error!("cannot block stop signals: {e}");
        return ExitCode::FAILURE;
    }
    let clock = Arc::new(SystemMonotonic::new());
    let options = camcgi_boards::Options {
        name: &args.board,
        config: args.board_config.as_deref(),
        data_dir: &args.config.data_dir,
        clock: clock.clone(),
    };
    let board = match camcgi_boards::open(&options) {
        Ok(board) => board,
        Err(e) => {
            log::error!("board {}: {e}", args.board);
            return ExitCode::from(2);
        }
    };
    let running = match camcgi::start(&args.config, board, clock) {
        Ok(running) => running,
        Err(e) => {
            log::error!("cannot start on {}: {e}", args.config.listen);
            return ExitCode::FAILURE;
        }
    };
    match stop_signals.wait() {
        Ok(signal) => log::info!("{signal}: stopping"),
        Err(e) => log::error!("waiting for signals failed: {e}"),
    }
    running.stop();
    ExitCode::SUCCESS
}

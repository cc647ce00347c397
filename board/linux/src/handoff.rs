//! Handing a configuration to the vendor's SDK: a `key=value` control file,
//! replaced atomically, and a command run after it (directly, never through
//! a shell; values never reach a command line). A vendor integration is a
//! program that reads the file and calls the SDK.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Where a part's configuration goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Handoff {
    /// The control file written on every change.
    pub control_file: Option<PathBuf>,
    /// The program and arguments run after the file is written; the file's path is appended.
    pub apply_command: Vec<String>,
}

/// Writes a file atomically, readable by everyone, writable by camcgi.
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    camcgi_hal::host::write_atomically(path, contents, 0o644)
}

/// How long a command may run and how much it may print on standard output.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// From start to exit; past it the command is killed.
    pub time: Duration,
    /// Bytes of standard output; past it the command is killed.
    pub output: usize,
}

/// A command that applies settings or reads the boot environment.
pub const SETTINGS: Bounds = Bounds { time: Duration::from_secs(5), output: 64 * 1024 };

/// What a failing command's standard error is kept of, for the error message.
const STDERR_KEPT: usize = 512;

/// Runs a configured command (program and arguments) plus extra arguments.
pub fn run(command: &[String], extra: &[&OsStr], bounds: Bounds) -> io::Result<Vec<u8>> {
    let Some((program, args)) = command.split_first() else { return Ok(Vec::new()) };
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).chain(extra.iter().copied()).collect();
    run_program(Path::new(program), &args, bounds)
}

/// Runs a program with arguments (directly, never through a shell), with no
/// input, and returns its standard output. It is killed, and the run fails,
/// when it runs past `bounds.time` or prints more than `bounds.output`:
/// nothing a vendor tool does can hold a request or fill the memory.
pub fn run_program(program: &Path, args: &[&OsStr], bounds: Bounds) -> io::Result<Vec<u8>> {
    let deadline = Instant::now() + bounds.time;
    let mut child = Command::new(program).args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let outcome = collect(&mut child, bounds.output, deadline).and_then(|out| Ok((out, exit(&mut child, deadline)?)));
    let ((stdout, stderr), status) = match outcome {
        Ok(done) => done,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(e.kind(), format!("{}: {e}", program.display())));
        }
    };
    if status.success() {
        Ok(stdout)
    } else {
        Err(io::Error::other(format!("{} failed ({status}): {}", program.display(), String::from_utf8_lossy(&stderr).trim())))
    }
}

/// Reads standard output (up to `limit`) and standard error (its start kept)
/// until both close, or fails at the deadline.
fn collect(child: &mut Child, limit: usize, deadline: Instant) -> io::Result<(Vec<u8>, Vec<u8>)> {
    use nix::poll::{poll, PollFd, PollFlags};
    // Both pipes as plain files, so that one loop polls and reads them.
    let mut pipes: [Option<File>; 2] =
        [child.stdout.take().map(|p| File::from(OwnedFd::from(p))), child.stderr.take().map(|p| File::from(OwnedFd::from(p)))];
    let mut kept: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut buf = [0u8; 4096];
    while pipes.iter().any(Option::is_some) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "ran past its time limit"));
        }
        let wait_ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let ready: Vec<usize> = {
            let open: Vec<(usize, &File)> = pipes.iter().enumerate().filter_map(|(i, p)| Some((i, p.as_ref()?))).collect();
            let mut fds: Vec<PollFd> = open.iter().map(|(_, f)| PollFd::new(f.as_fd(), PollFlags::POLLIN)).collect();
            match poll(&mut fds, wait_ms) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
            open.iter().zip(&fds).filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty())).map(|((i, _), _)| *i).collect()
        };
        for i in ready {
            let Some(pipe) = pipes.get_mut(i) else { continue };
            let Some(reader) = pipe.as_mut() else { continue };
            let n = reader.read(&mut buf)?;
            if n == 0 {
                *pipe = None;
                continue;
            }
            let chunk = buf.get(..n).unwrap_or_default();
            if i == 0 {
                if kept[0].len() + n > limit {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, format!("printed more than {limit} bytes")));
                }
                kept[0].extend_from_slice(chunk);
            } else {
                let room = STDERR_KEPT.saturating_sub(kept[1].len());
                kept[1].extend_from_slice(chunk.get(..room.min(n)).unwrap_or_default());
            }
        }
    }
    let [stdout, stderr] = kept;
    Ok((stdout, stderr))
}

/// Waits for the exit, or fails at the deadline (a command that closed its
/// output but goes on running).
fn exit(child: &mut Child, deadline: Instant) -> io::Result<ExitStatus> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "did not exit in time"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Handoff {
    /// Writes the pairs and runs the command. Values are written as given; a
    /// newline in one would forge another key, so it is refused.
    pub fn apply(&self, pairs: &[(&str, String)]) -> io::Result<()> {
        if pairs.iter().any(|(k, v)| k.contains(['\n', '=']) || v.contains(['\n', '\r'])) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "a value holds a line break"));
        }
        let text: String = pairs.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        if let Some(file) = &self.control_file {
            write_atomically(file, text.as_bytes())?;
        }
        let file_arg = self.control_file.as_deref().map(Path::as_os_str);
        run(&self.apply_command, file_arg.as_slice(), SETTINGS).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn writes_the_file_then_runs_the_command_with_its_path() {
        let dir = std::env::temp_dir().join(format!("camcgi-handoff-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let file = dir.join("osd.conf");
        let copy = dir.join("copy");
        let h = Handoff { control_file: Some(file.clone()), apply_command: vec!["cp".into()] };
        let mut with_target = h.clone();
        with_target.apply_command = vec!["sh".into(), "-c".into(), format!("cp \"$0\" {}", copy.display())];
        with_target.apply(&[("title", "a;b $(reboot)".into()), ("enable", "1".into())]).unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "title=a;b $(reboot)\nenable=1\n");
        assert_eq!(fs::read_to_string(&copy).unwrap(), "title=a;b $(reboot)\nenable=1\n");
        assert!(h.apply(&[("title", "x\nenable=0".into())]).is_err(), "no forged keys");
        let failing = Handoff { control_file: None, apply_command: vec!["false".into()] };
        assert!(failing.apply(&[("a", "1".into())]).is_err());
        let _ = fs::remove_dir_all(&dir);
    }
}

//! A reader for the part of TOML that board files use: comments, `key =
//! value`, `[table]` and `[[array.of.tables]]` headers with dotted names,
//! basic and literal strings on one line, decimal integers, booleans, arrays
//! (over several lines) and inline tables. Floats, dates and multi-line
//! strings are refused with the line they are on. Any input gives a value or
//! an error, never a panic.
//!
//! The `toml` crate with serde did the same for 100 KiB of the camera build
//! (its parser and the deserializers derived for each table); this reader and
//! the hand-written readers in `config` take a tenth of that.

/// A value of the file.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// A decimal integer.
    Int(i64),
    /// `true` or `false`.
    Bool(bool),
    /// `[a, b, …]`, or the tables of `[[name]]` headers.
    Array(Vec<Value>),
    /// A table or an inline table.
    Table(Table),
}

/// A table: its keys in the order they were written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    entries: Vec<(String, Value)>,
    /// Named by a `[header]` of its own (a second one is refused).
    headed: bool,
}

impl Table {
    /// Removes and returns the value of `key`.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        let at = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(at).1)
    }

    /// The first key no reader took, if any.
    pub fn leftover(&self) -> Option<&str> {
        self.entries.first().map(|(k, _)| k.as_str())
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn insert(&mut self, key: String, value: Value) -> Result<(), String> {
        if self.get_mut(&key).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
        self.entries.push((key, value));
        Ok(())
    }
}

/// Parses a whole file into its root table. Errors name the line.
pub fn parse(text: &str) -> Result<Table, String> {
    let mut p = Parser { text: text.as_bytes(), at: 0, line: 1 };
    p.document().map_err(|e| format!("line {}: {e}", p.line))
}

/// How deep arrays and inline tables may nest.
const MAX_DEPTH: usize = 8;

struct Parser<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.bump();
        }
        found
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected `{}`", c as char))
        }
    }

    /// Spaces and tabs.
    fn blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.bump();
        }
    }

    /// Blanks, new lines and comments.
    fn gaps(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => {
                    self.bump();
                }
                Some(b'#') => self.comment(),
                _ => return,
            }
        }
    }

    fn comment(&mut self) {
        while !matches!(self.peek(), None | Some(b'\n')) {
            self.bump();
        }
    }

    /// The rest of a line after a header or a key's value: blanks, a comment.
    fn end_of_line(&mut self) -> Result<(), String> {
        self.blanks();
        if self.peek() == Some(b'#') {
            self.comment();
        }
        self.eat(b'\r');
        match self.bump() {
            None | Some(b'\n') => Ok(()),
            Some(_) => Err("unexpected text after a value".into()),
        }
    }

    fn document(&mut self) -> Result<Table, String> {
        let mut root = Table::default();
        let mut current: Vec<String> = Vec::new();
        loop {
            self.gaps();
            match self.peek() {
                None => return Ok(root),
                Some(b'[') => {
                    self.bump();
                    let array = self.eat(b'[');
                    self.blanks();
                    current = self.key_path()?;
                    self.expect(b']')?;
                    if array {
                        self.expect(b']')?;
                    }
                    open(&mut root, &current, array)?;
                    self.end_of_line()?;
                }
                Some(_) => {
                    let path = self.key_path()?;
                    self.expect(b'=')?;
                    self.blanks();
                    let value = self.value(0)?;
                    let table = descend(&mut root, &current)?;
                    assign(table, &path, value)?;
                    self.end_of_line()?;
                }
            }
        }
    }

    /// `a.b."c"`, blanks around the dots and after the last name.
    fn key_path(&mut self) -> Result<Vec<String>, String> {
        let mut path = vec![self.key()?];
        self.blanks();
        while self.eat(b'.') {
            self.blanks();
            path.push(self.key()?);
            self.blanks();
        }
        Ok(path)
    }

    fn key(&mut self) -> Result<String, String> {
        match self.peek() {
            Some(b'"' | b'\'') => self.string(),
            _ => {
                let start = self.at;
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                    self.bump();
                }
                if self.at == start {
                    return Err("expected a key".into());
                }
                Ok(String::from_utf8_lossy(&self.text[start..self.at]).into_owned())
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("arrays and inline tables nest too deep".into());
        }
        match self.peek() {
            Some(b'"' | b'\'') => self.string().map(Value::Str),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.inline_table(depth),
            Some(b't' | b'f') => self.boolean(),
            Some(b'+' | b'-' | b'0'..=b'9') => self.integer(),
            _ => Err("expected a value".into()),
        }
    }

    fn boolean(&mut self) -> Result<Value, String> {
        for (word, value) in [("true", true), ("false", false)] {
            if self.text[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                return Ok(Value::Bool(value));
            }
        }
        Err("expected a value".into())
    }

    fn integer(&mut self) -> Result<Value, String> {
        let start = self.at;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'_' | b'.' | b':')) {
            self.bump();
        }
        let word = std::str::from_utf8(&self.text[start..self.at]).map_err(|_| "expected a number")?;
        let (sign, digits) = match word.as_bytes().first() {
            Some(b'-') => (-1, &word[1..]),
            Some(b'+') => (1, &word[1..]),
            _ => (1, word),
        };
        let well_formed = !digits.is_empty()
            && digits.bytes().all(|c| c.is_ascii_digit() || c == b'_')
            && !digits.starts_with('_')
            && !digits.ends_with('_')
            && !digits.contains("__");
        if !well_formed {
            return Err(format!("`{word}` is not a decimal integer (floats and dates are not used in board files)"));
        }
        let magnitude: i64 = digits.replace('_', "").parse().map_err(|_| format!("`{word}` is out of range"))?;
        Ok(Value::Int(sign * magnitude))
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.gaps();
            if self.eat(b']') {
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth + 1)?);
            self.gaps();
            if !self.eat(b',') {
                self.gaps();
                self.expect(b']')?;
                return Ok(Value::Array(items));
            }
        }
    }

    fn inline_table(&mut self, depth: usize) -> Result<Value, String> {
        self.bump();
        let mut table = Table::default();
        self.blanks();
        if self.eat(b'}') {
            return Ok(Value::Table(table));
        }
        loop {
            self.blanks();
            let path = self.key_path()?;
            self.expect(b'=')?;
            self.blanks();
            let value = self.value(depth + 1)?;
            assign(&mut table, &path, value)?;
            self.blanks();
            if !self.eat(b',') {
                self.expect(b'}')?;
                return Ok(Value::Table(table));
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.bump().unwrap_or(b'"');
        if self.text[self.at..].starts_with(&[quote, quote]) {
            return Err("multi-line strings are not used in board files".into());
        }
        let mut out = Vec::new();
        loop {
            match self.bump() {
                None | Some(b'\n') => return Err("a string is not closed on its line".into()),
                Some(c) if c == quote => break,
                Some(b'\\') if quote == b'"' => self.escape(&mut out)?,
                Some(c) => out.push(c),
            }
        }
        String::from_utf8(out).map_err(|_| "a string is not UTF-8".into())
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let simple = match self.bump() {
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'u') => self.unicode(4)?,
            Some(b'U') => self.unicode(8)?,
            _ => return Err("unknown escape in a string".into()),
        };
        let mut buf = [0; 4];
        out.extend_from_slice(simple.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn unicode(&mut self, digits: usize) -> Result<char, String> {
        let hex = self.text.get(self.at..self.at + digits).ok_or("a \\u escape is cut short")?;
        let hex = std::str::from_utf8(hex).map_err(|_| "a \\u escape is not hexadecimal")?;
        let code = u32::from_str_radix(hex, 16).map_err(|_| "a \\u escape is not hexadecimal")?;
        self.at += digits;
        char::from_u32(code).ok_or_else(|| "a \\u escape is not a character".into())
    }
}

/// The table a `[header]` or `[[header]]` opens, created where missing.
fn open(root: &mut Table, path: &[String], array: bool) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("empty header")?;
    let parent = descend(root, parents)?;
    match (parent.get_mut(last), array) {
        (None, false) => parent.insert(last.clone(), Value::Table(Table { headed: true, ..Table::default() })),
        (None, true) => parent.insert(last.clone(), Value::Array(vec![Value::Table(Table::default())])),
        (Some(Value::Table(t)), false) if !t.headed => {
            t.headed = true;
            Ok(())
        }
        (Some(Value::Array(items)), true) if items.iter().all(|v| matches!(v, Value::Table(_))) => {
            items.push(Value::Table(Table::default()));
            Ok(())
        }
        _ => Err(format!("[{}] is defined twice", path.join("."))),
    }
}

/// The table at `path`, through the last table of arrays of tables; missing tables are created.
fn descend<'t>(mut table: &'t mut Table, path: &[String]) -> Result<&'t mut Table, String> {
    for key in path {
        if table.get_mut(key).is_none() {
            table.insert(key.clone(), Value::Table(Table::default()))?;
        }
        table = match table.get_mut(key) {
            Some(Value::Table(t)) => t,
            Some(Value::Array(items)) => match items.last_mut() {
                Some(Value::Table(t)) => t,
                _ => return Err(format!("`{key}` is not a table")),
            },
            _ => return Err(format!("`{key}` is not a table")),
        };
    }
    Ok(table)
}

/// Sets a dotted key.
fn assign(table: &mut Table, path: &[String], value: Value) -> Result<(), String> {
    let (last, parents) = path.split_last().ok_or("expected a key")?;
    descend(table, parents)?.insert(last.clone(), value)
}

mod fields;

pub use fields::{Fields, FromValue};

#[cfg(test)]
mod tests;

//! Reading a parsed file into typed settings: each key is taken once, and a
//! key no reader took is refused.

use super::{Table, Value};

/// A type a board file's value is read into.
pub trait FromValue: Sized {
    /// Reads `value`; `name` says where it is, for the error.
    fn from_value(value: Value, name: &str) -> Result<Self, String>;
}

impl FromValue for String {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        match value {
            Value::Str(s) => Ok(s),
            _ => Err(format!("{name} must be a string")),
        }
    }
}

impl FromValue for std::path::PathBuf {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        String::from_value(value, name).map(Into::into)
    }
}

impl FromValue for i64 {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        match value {
            Value::Int(n) => Ok(n),
            _ => Err(format!("{name} must be an integer")),
        }
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value, name: &str) -> Result<Self, String> {
                let n = i64::from_value(value, name)?;
                <$t>::try_from(n).map_err(|_| format!("{name} must be from {} to {}", <$t>::MIN, <$t>::MAX))
            }
        }
    )*};
}
integers!(u8, u16, u32, u64);

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        match value {
            Value::Array(items) => items.into_iter().enumerate().map(|(i, v)| T::from_value(v, &format!("{name}[{i}]"))).collect(),
            _ => Err(format!("{name} must be an array")),
        }
    }
}

impl<T: FromValue, const N: usize> FromValue for [T; N] {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        let items = Vec::<T>::from_value(value, name)?;
        items.try_into().map_err(|_| format!("{name} must have {N} items"))
    }
}

/// A table being read: each key is taken once, and a key no reader took is refused.
pub struct Fields {
    table: Table,
    name: String,
}

impl Fields {
    /// Reads `value` as the table called `name`.
    pub fn new(value: Value, name: &str) -> Result<Self, String> {
        match value {
            Value::Table(table) => Ok(Fields { table, name: name.to_string() }),
            _ => Err(format!("{name} must be a table")),
        }
    }

    /// The root table of a file.
    pub fn root(table: Table) -> Self {
        Fields { table, name: String::new() }
    }

    fn name_of(&self, key: &str) -> String {
        if self.name.is_empty() {
            format!("`{key}`")
        } else {
            format!("`{}.{key}`", self.name)
        }
    }

    /// The value of `key`, which may be left out.
    pub fn optional<T: FromValue>(&mut self, key: &str) -> Result<Option<T>, String> {
        let name = self.name_of(key);
        self.table.take(key).map(|v| T::from_value(v, name.trim_matches('`'))).transpose()
    }

    /// The value of `key`, which must be given.
    pub fn required<T: FromValue>(&mut self, key: &str) -> Result<T, String> {
        let name = self.name_of(key);
        self.optional(key)?.ok_or_else(|| format!("{name} is missing"))
    }

    /// The value of `key`, or `default` when it is left out.
    pub fn or<T: FromValue>(&mut self, key: &str, default: T) -> Result<T, String> {
        Ok(self.optional(key)?.unwrap_or(default))
    }

    /// Refuses a key no reader took (a misspelt or unknown setting).
    pub fn finish(self) -> Result<(), String> {
        match self.table.leftover() {
            Some(key) => Err(format!("unknown key {}", self.name_of(key))),
            None => Ok(()),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: Value, _name: &str) -> Result<Self, String> {
        Ok(value)
    }
}

//! The JSON body, written straight into its buffer: no map, no intermediate value.

/// A value that can be a JSON body field: a string, an integer, or an `Option` of one (absent
/// optionals are left out of the body, exactly as they are left out of the signature).
pub trait JsonValue {
    /// Whether the field is written at all.
    #[inline(always)]
    fn is_present(&self) -> bool {
        true
    }
    /// Appends the JSON text of the value.
    fn write_json(&self, out: &mut Vec<u8>);
}

impl JsonValue for str {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_json_string(out, self);
    }
}

impl JsonValue for String {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_json_string(out, self);
    }
}

impl<T: JsonValue + ?Sized> JsonValue for &T {
    #[inline(always)]
    fn is_present(&self) -> bool {
        (**self).is_present()
    }
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }
}

impl<T: JsonValue> JsonValue for Option<T> {
    #[inline(always)]
    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(JsonValue::is_present)
    }
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        if let Some(value) = self {
            value.write_json(out);
        }
    }
}

macro_rules! json_integer {
    ($($ty:ty),*) => {$(
        impl JsonValue for $ty {
            #[inline(always)]
            fn write_json(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
            }
        }
    )*};
}
json_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

/// A signature is lowercase hex: nothing to escape.
impl JsonValue for crate::Hex64 {
    #[inline(always)]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.reserve(66);
        out.push(b'"');
        out.extend_from_slice(self.as_bytes());
        out.push(b'"');
    }
}

/// Appends `value` as a JSON string literal, escaping `"`, `\` and control characters.
#[inline(always)]
pub fn write_json_string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    // Branch-free over the whole string, so it vectorizes; almost every value takes this path.
    let plain = bytes.iter().fold(true, |plain, &byte| plain & !needs_escape(byte));
    if plain {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    } else {
        write_escaped(out, bytes);
    }
}

#[inline(always)]
const fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

#[cold]
fn write_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a JSON object field by field. Generated code and the envelope call [`Self::field`].
pub struct JsonObject<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> JsonObject<'a> {
    /// Opens an object (`{`) at the end of `out`.
    #[inline(always)]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Writes `"name":value`, or nothing for an absent optional.
    #[inline(always)]
    pub fn field<V: JsonValue + ?Sized>(&mut self, name: &str, value: &V) {
        if !value.is_present() {
            return;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_json_string(self.out, name);
        self.out.push(b':');
        value.write_json(self.out);
    }

    /// Closes the object (`}`).
    #[inline(always)]
    pub fn finish(self) {
        self.out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_strings_round_trip_through_serde_json() {
        for text in ["plain", "quote\"back\\slash", "line\nfeed\ttab\r", "\u{1}\u{1f}", "备注 ✓", ""] {
            let mut out = Vec::new();
            write_json_string(&mut out, text);
            let parsed: String = serde_json::from_slice(&out).expect("our escaping is valid JSON");
            assert_eq!(parsed, text);
        }
    }

    #[test]
    fn absent_optionals_leave_no_field() {
        let mut out = Vec::new();
        let mut object = JsonObject::new(&mut out);
        object.field("a", "x");
        object.field("b", &None::<String>);
        object.field("c", &Some(7_i64));
        object.finish();
        assert_eq!(out, br#"{"a":"x","c":7}"#);
    }
}

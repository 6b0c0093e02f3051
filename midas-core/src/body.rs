//! The JSON body, written straight into its buffer: no map, no intermediate value.
//!
//! The small writers here and in the signer are `inline(always)` in optimized builds only
//! (`debug_assertions` off) and plain `inline` otherwise: forced into every generated
//! `write_body` of a debug build, they made most of the code a crate calling endpoints
//! compiles (`bench/compile-cost/ir.py` shows what that code is).

/// A value that can be a JSON body field: a string, an integer, or an `Option` of one (absent
/// optionals are left out of the body, exactly as they are left out of the signature).
pub trait JsonValue {
    /// Whether the field is written at all.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn is_present(&self) -> bool {
        true
    }
    /// Appends the JSON text of the value.
    fn write_json(&self, out: &mut Vec<u8>);
}

impl JsonValue for str {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_json_string(out, self);
    }
}

impl JsonValue for String {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_json_string(out, self);
    }
}

impl<T: JsonValue + ?Sized> JsonValue for &T {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn is_present(&self) -> bool {
        (**self).is_present()
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }
}

impl<T: JsonValue> JsonValue for Option<T> {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(JsonValue::is_present)
    }
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        if let Some(value) = self {
            value.write_json(out);
        }
    }
}

macro_rules! json_integer {
    ($($ty:ty),*) => {$(
        impl JsonValue for $ty {
            #[cfg_attr(not(debug_assertions), inline(always))]
            #[cfg_attr(debug_assertions, inline)]
            fn write_json(&self, out: &mut Vec<u8>) {
                extend_short(out, itoa::Buffer::new().format(*self).as_bytes());
            }
        }
    )*};
}
json_integer!(i8, i16, i32, i64, u8, u16, u32, u64);

impl JsonValue for bool {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

/// A value sent as the JSON serde writes for it: what `#[midas(json)]` fields (lists, nested
/// objects) are wrapped in. Generated validation has checked that it serializes; should it not
/// (a `Serialize` impl that fails at random), `null` is written rather than half a value.
///
/// ```
/// use midas_core::{Json, JsonObject};
/// let mut out = Vec::new();
/// let mut body = JsonObject::new(&mut out);
/// body.field("items", &Json(&vec![("sword", 1)]));
/// body.finish();
/// assert_eq!(out, br#"{"items":[["sword",1]]}"#);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Json<'a, T: ?Sized>(pub &'a T);

impl<T: serde::Serialize + ?Sized> JsonValue for Json<'_, T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let start = out.len();
        if serde_json::to_writer(&mut *out, self.0).is_err() {
            out.truncate(start);
            out.extend_from_slice(b"null");
        }
    }
}

/// A signature is lowercase hex: nothing to escape.
impl JsonValue for crate::Hex64 {
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.reserve(66);
        out.push(b'"');
        out.extend_from_slice(self.as_bytes());
        out.push(b'"');
    }
}

/// Appends `value` as a JSON string literal, escaping `"`, `\` and control characters.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub fn write_json_string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    if is_plain(bytes) {
        out.push(b'"');
        extend_short(out, bytes);
        out.push(b'"');
    } else {
        write_escaped(out, bytes);
    }
}

/// Whether `bytes` needs no escape; branch-free over the whole string, so it vectorizes
/// (almost every value is plain) and folds away for literal names.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
fn is_plain(bytes: &[u8]) -> bool {
    bytes.iter().fold(true, |plain, &byte| plain & !needs_escape(byte))
}

#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
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
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Self { out, first: true }
    }

    /// Writes `"name":value`, or nothing for an absent optional.
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn field<V: JsonValue + ?Sized>(&mut self, name: &str, value: &V) {
        if !value.is_present() {
            return;
        }
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        // Names are literals of the generated code: once inlined, this is a few fixed stores.
        let name = name.as_bytes();
        if is_plain(name) {
            self.out.push(b'"');
            self.out.extend_from_slice(name);
            self.out.extend_from_slice(b"\":");
        } else {
            write_escaped(self.out, name);
            self.out.push(b':');
        }
        value.write_json(self.out);
    }

    /// [`Self::field`] with the name given as the literal `,"name":`, written in one piece (the
    /// `,` is skipped before the first field). Generated code calls this with a literal built
    /// at compile time from the wire name (`[a-z0-9_]`, nothing to escape).
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn field_literal<V: JsonValue + ?Sized>(&mut self, comma_name_colon: &'static [u8], value: &V) {
        if !value.is_present() {
            return;
        }
        let piece = if self.first { comma_name_colon.get(1..).unwrap_or_default() } else { comma_name_colon };
        self.first = false;
        extend_short(self.out, piece);
        value.write_json(self.out);
    }

    /// Closes the object (`}`).
    #[cfg_attr(not(debug_assertions), inline(always))]
    #[cfg_attr(debug_assertions, inline)]
    pub fn finish(self) {
        self.out.push(b'}');
    }
}

/// `dst.copy_from_slice(src)` for the short pieces signing strings and bodies are made of,
/// without a call to `memcpy` (whose cost, paid dozens of times per request, is larger than
/// the copy): two overlapping fixed-size copies cover every length up to 64 bytes.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    match n {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        4..=7 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..n].copy_from_slice(&src[n - 4..]);
        }
        8..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..n].copy_from_slice(&src[n - 8..]);
        }
        17..=32 => {
            dst[..16].copy_from_slice(&src[..16]);
            dst[n - 16..n].copy_from_slice(&src[n - 16..]);
        }
        33..=64 => {
            dst[..32].copy_from_slice(&src[..32]);
            dst[n - 32..n].copy_from_slice(&src[n - 32..]);
        }
        _ => dst.copy_from_slice(src),
    }
}

/// `out.extend_from_slice(bytes)` for a short value, without a call to `memcpy`: a fixed-size
/// extend (inline stores), the copy in place, and the length cut back. Uses up to
/// [`SHORT_SLACK`] bytes of spare capacity beyond the value.
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
fn extend_short(out: &mut Vec<u8>, bytes: &[u8]) {
    let n = bytes.len();
    if n > SHORT_SLACK {
        out.extend_from_slice(bytes);
        return;
    }
    let start = out.len();
    out.extend_from_slice(&[0; SHORT_SLACK]);
    copy_short(&mut out[start..start + n], bytes);
    out.truncate(start + n);
}

/// The spare capacity [`extend_short`] may use past the end of what it writes.
pub(crate) const SHORT_SLACK: usize = 32;

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
    fn plain_means_nothing_to_escape() {
        // Every byte value at every position of strings of 1 to 17 bytes, against the rule.
        for len in 1..=17 {
            for position in 0..len {
                for byte in 0..=255_u8 {
                    let mut bytes = vec![b'x'; len];
                    bytes[position] = byte;
                    assert_eq!(
                        is_plain(&bytes),
                        !matches!(byte, 0..0x20 | b'"' | b'\\'),
                        "byte {byte:#x} at {position} of {len}"
                    );
                }
            }
        }
        assert!(is_plain(b""));
        assert!(is_plain("备注 ✓ 0123456789 ~!@#$%^&*()".as_bytes()));
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

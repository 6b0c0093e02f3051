//! Field rules that `#[midas(..)]` attributes expand to.

use crate::{Rule, ValidationError};

/// A `#[midas(json)]` value serializes to JSON (a map with non-text keys does not).
pub fn json<T: serde::Serialize + ?Sized>(field: &'static str, value: &T) -> Result<(), ValidationError> {
    serde_json::to_writer(std::io::sink(), value).map_err(|_| ValidationError::new(field, Rule::Json))
}

/// `[0-9A-Za-z_-]{1,63}`.
pub fn bill_no(field: &'static str, value: &str) -> Result<(), ValidationError> {
    let valid = (1..=63).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid { Ok(()) } else { Err(ValidationError::new(field, Rule::BillNo)) }
}

/// Whether `value` may hold a control character (`char::is_control`: C0, DEL, C1) or, with
/// `SEPARATORS`, a `&` or `=`. It runs on every text value of every call, so a word-at-a-time
/// scan (overlapping words, no byte loop) finds the bytes that can start one — below 0x20,
/// 0x7F, 0xC2 (the lead byte of the C1 range), and `&`/`=`; a `true` is confirmed by the
/// callers character by character. One pass serves both rules of a Midas 1.0 value.
fn suspect<const SEPARATORS: bool>(value: &str) -> bool {
    let bytes = value.as_bytes();
    let n = bytes.len();
    if n >= 8 {
        let mut suspect = false;
        let mut at = 0;
        while at + 8 <= n {
            suspect |= suspect_word::<SEPARATORS>(u64::from_le_bytes(word(bytes, at)));
            at += 8;
        }
        suspect | suspect_word::<SEPARATORS>(u64::from_le_bytes(word(bytes, n - 8)))
    } else if n >= 4 {
        // Two overlapping halves in one word.
        let [a, b, c, d]: [u8; 4] = word(bytes, 0);
        let [e, f, g, h]: [u8; 4] = word(bytes, n - 4);
        suspect_word::<SEPARATORS>(u64::from_le_bytes([a, b, c, d, e, f, g, h]))
    } else {
        bytes.iter().fold(false, |suspect, &b| {
            suspect | (b < 0x20) | (b == 0x7f) | (b == 0xc2) | (SEPARATORS & ((b == b'&') | (b == b'=')))
        })
    }
}

/// `N` bytes of `bytes` from `at` (the callers keep `at + N` within bounds).
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut word = [b' '; N];
    if let Some(source) = bytes.get(at..at + N) {
        word.copy_from_slice(source);
    }
    word
}

/// Whether any byte of `word` is below 0x20, 0x7F or 0xC2, or, with `SEPARATORS`, `&` or `=`
/// (the classic "has less" and "has zero" bit tricks; exact as a yes/no).
#[cfg_attr(not(debug_assertions), inline(always))]
#[cfg_attr(debug_assertions, inline)]
const fn suspect_word<const SEPARATORS: bool>(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const fn has_zero(x: u64) -> bool {
        x.wrapping_sub(ONES) & !x & HIGHS != 0
    }
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
    let control = below_space | has_zero(word ^ (ONES * 0x7f)) | has_zero(word ^ (ONES * 0xc2));
    control | (SEPARATORS && (has_zero(word ^ (ONES * 0x26)) | has_zero(word ^ (ONES * 0x3d))))
}

/// A Midas 2.0 bill number: `[0-9A-Za-z_-]{1,63}`, not starting with `_`.
pub fn bill_no_v2(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if bill_no(field, value).is_err() || value.starts_with('_') {
        return Err(ValidationError::new(field, Rule::BillNoV2));
    }
    Ok(())
}

/// A cash purchase's order number (`outTradeNo`): `[0-9A-Za-z_-]{8,32}`, not starting with `_`.
///
/// ```
/// use midas_core::{Rule, rules};
/// assert!(rules::out_trade_no("outTradeNo", "order-0001").is_ok());
/// assert_eq!(rules::out_trade_no("outTradeNo", "_order-0001").map_err(|e| e.rule().clone()), Err(Rule::OutTradeNo));
/// assert!(rules::out_trade_no("outTradeNo", "short").is_err());
/// ```
pub fn out_trade_no(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if order_no_8_32(value) && !value.starts_with('_') {
        Ok(())
    } else {
        Err(ValidationError::new(field, Rule::OutTradeNo))
    }
}

/// A refund's own order number (`refund_order_id`): `[0-9A-Za-z_-]{8,32}`.
pub fn refund_order_id(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if order_no_8_32(value) { Ok(()) } else { Err(ValidationError::new(field, Rule::RefundOrderId)) }
}

fn order_no_8_32(value: &str) -> bool {
    (8..=32).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// At most `max` bytes of UTF-8, and no control characters (empty text is allowed).
pub fn max_bytes(field: &'static str, value: &str, max: usize) -> Result<(), ValidationError> {
    if value.len() > max {
        Err(ValidationError::new(field, Rule::MaxBytes(max)))
    } else if value.chars().any(char::is_control) {
        Err(ValidationError::new(field, Rule::NoControlChars))
    } else {
        Ok(())
    }
}

/// Not zero.
pub fn non_zero<T: Default + PartialEq>(field: &'static str, value: &T) -> Result<(), ValidationError> {
    if *value == T::default() { Err(ValidationError::new(field, Rule::NonZero)) } else { Ok(()) }
}

/// Greater than zero.
pub fn positive<T: Default + PartialOrd>(field: &'static str, value: &T) -> Result<(), ValidationError> {
    if *value > T::default() { Ok(()) } else { Err(ValidationError::new(field, Rule::Positive)) }
}

/// Text Midas can take: not empty (absent optionals are left out, never sent empty), and
/// without control characters (a newline or NUL in a signed value is never meant).
pub fn text(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::new(field, Rule::NotEmpty))
    } else if suspect::<false>(value) && value.chars().any(char::is_control) {
        Err(ValidationError::new(field, Rule::NoControlChars))
    } else {
        Ok(())
    }
}

/// Text of a Midas 1.0 signed pair: [`text`], and without `&` or `=`.
///
/// The Midas 1.0 signing string joins `name=value` pairs with `&` and escapes nothing, so
/// a value holding `&` or `=` could move text across a field boundary: `pf="ios"` with
/// `pay_item="sword&pf=android"` would sign exactly like `pf="android&pf=ios"` with
/// `pay_item="sword"`, and a server would accept one body with the other's `sig`. Refusing
/// both characters keeps one signing string per request.
pub fn pair_text(field: &'static str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Rule::NotEmpty));
    }
    if !suspect::<true>(value) {
        return Ok(());
    }
    if value.chars().any(char::is_control) {
        Err(ValidationError::new(field, Rule::NoControlChars))
    } else if value.contains(['&', '=']) {
        Err(ValidationError::new(field, Rule::NoPairSeparators))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{pair_text, text};
    use crate::Rule;

    #[test]
    fn pair_text_finds_separators_and_control_characters_at_every_position() {
        let samples =
            ['&', '=', '\0', '\n', '\u{7f}', '\u{85}', ' ', '~', '%', '>', '<', '\u{a0}', '备', '\u{c2}'];
        for len in 1..=24 {
            for position in 0..len {
                for ch in samples {
                    let value: String = (0..len).map(|i| if i == position { ch } else { 'x' }).collect();
                    let expected = if ch.is_control() {
                        Err(Rule::NoControlChars)
                    } else if matches!(ch, '&' | '=') {
                        Err(Rule::NoPairSeparators)
                    } else {
                        Ok(())
                    };
                    let got = pair_text("f", &value).map_err(|err| err.rule().clone());
                    assert_eq!(got, expected, "{ch:?} at {position} of {len}");
                }
            }
        }
        assert_eq!(pair_text("f", "").map_err(|err| err.rule().clone()), Err(Rule::NotEmpty));
    }

    #[test]
    fn text_refuses_every_control_character_and_nothing_else() {
        for ch in (0..=0x10FFFF_u32).filter_map(char::from_u32) {
            let value = format!("a{ch}b");
            let refused = text("f", &value).is_err_and(|err| *err.rule() == Rule::NoControlChars);
            assert_eq!(refused, ch.is_control(), "U+{:04X}", u32::from(ch));
        }
        assert_eq!(text("f", "").expect_err("empty text is refused").rule(), &Rule::NotEmpty);
    }

    #[test]
    fn text_finds_a_control_character_at_every_position_of_longer_values() {
        let samples =
            ['\0', '\n', '\u{1f}', '\u{7f}', '\u{80}', '\u{9f}', ' ', '~', '\u{a0}', '备', '\u{c2}'];
        for len in 1..=24 {
            for position in 0..len {
                for ch in samples {
                    let value: String = (0..len).map(|i| if i == position { ch } else { 'x' }).collect();
                    assert_eq!(text("f", &value).is_err(), ch.is_control(), "{ch:?} at {position} of {len}");
                }
            }
        }
    }
}

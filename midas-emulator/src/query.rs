//! Parameters of a request's query string: `access_token` for every API, and the signatures of
//! the body-signed ones.

/// The first `name=value` of `query`, percent-decoded; `None` when absent or malformed.
pub(crate) fn param(query: &str, name: &str) -> Option<String> {
    let raw = query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let (hex, after) = tail.split_at_checked(2)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            bytes.push(u8::from_str_radix(core::str::from_utf8(hex).ok()?, 16).ok()?);
            rest = after;
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::param;

    #[test]
    fn a_parameter_is_read_from_the_query_and_percent_decoded() {
        let access_token = |query| param(query, "access_token");
        assert_eq!(access_token("access_token=ABC").as_deref(), Some("ABC"));
        assert_eq!(access_token("x=1&access_token=A%2FB%3D").as_deref(), Some("A/B="));
        assert_eq!(access_token("x=1"), None);
        assert_eq!(access_token("access_token=%zz"), None);
        assert_eq!(access_token("access_token=%2"), None);
        assert_eq!(access_token("access_token=%+1"), None);
    }

    #[test]
    fn a_longer_name_sharing_the_prefix_is_another_parameter() {
        assert_eq!(param("pay_sig_x=1&pay_sig=ab", "pay_sig").as_deref(), Some("ab"));
        assert_eq!(param("signature=&pay_sig=ab", "signature").as_deref(), Some(""));
    }
}

//! GNU's size syntax for `-S/--buffer-size`: a number with an optional
//! suffix `b` (bytes), `K`/`k` (KiB, the default for a bare number), `M`,
//! `G`, `T`, `P`, `E`, or `%` of physical memory.

use crate::error::{Error, Result};

/// Parses a buffer size into bytes.
pub fn parse(spec: &str) -> Result<u64> {
    let bad = || Error::usage(format!("invalid -S argument '{spec}'"));
    let digits = spec.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Err(bad());
    }
    let n: u64 = spec[..digits].parse().map_err(|_| bad())?;
    let mult: u64 = match &spec[digits..] {
        "" | "K" | "k" => 1 << 10,
        "b" => 1,
        "M" | "m" => 1 << 20,
        "G" | "g" => 1 << 30,
        "T" | "t" => 1 << 40,
        "P" | "p" => 1 << 50,
        "E" | "e" => 1 << 60,
        "%" => {
            if n > 100 {
                return Err(bad());
            }
            return Ok(physical_memory() / 100 * n);
        }
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
}

/// Physical memory in bytes (1 GiB if it cannot be read).
pub fn physical_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        pages as u64 * size as u64
    } else {
        1 << 30
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gnu_size_syntax() {
        assert_eq!(super::parse("10").unwrap(), 10 << 10);
        assert_eq!(super::parse("200M").unwrap(), 200 << 20);
        assert_eq!(super::parse("1G").unwrap(), 1 << 30);
        assert_eq!(super::parse("512b").unwrap(), 512);
        assert!(super::parse("50%").unwrap() > 0);
        assert!(super::parse("x").is_err());
        assert!(super::parse("10Q").is_err());
    }
}

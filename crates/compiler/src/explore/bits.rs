//! Runs of bits copied between a packed state and a bitset of the runtime's state
//! (the once-only marks: [`threshold_runtime::State::taken`]), a word at a time.

/// ORs the first `len` bits of `src` into `out` from bit `start` on. Bits of `src`
/// past `len` must be clear.
#[inline]
pub(super) fn or_bits(out: &mut [u64], start: usize, src: &[u64], len: usize) {
    let (w0, shift) = (start / 64, start % 64);
    for (k, &x) in src.iter().enumerate().take(len.div_ceil(64)) {
        if x == 0 {
            continue;
        }
        out[w0 + k] |= x << shift;
        if shift != 0 {
            let hi = x >> (64 - shift);
            if hi != 0 {
                out[w0 + k + 1] |= hi;
            }
        }
    }
}

/// Writes the bits `start..start + len` of `words` into `dst` from bit 0 on, and
/// clears the rest of `dst`.
#[inline]
pub(super) fn read_bits(words: &[u64], start: usize, len: usize, dst: &mut [u64]) {
    let (w0, shift) = (start / 64, start % 64);
    for (k, d) in dst.iter_mut().enumerate() {
        let from = k * 64;
        if from >= len {
            *d = 0;
            continue;
        }
        let mut x = words[w0 + k] >> shift;
        if shift != 0 && w0 + k + 1 < words.len() {
            x |= words[w0 + k + 1] << (64 - shift);
        }
        let left = len - from;
        if left < 64 {
            x &= (1u64 << left) - 1;
        }
        *d = x;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use threshold_runtime::{get_bit, set_bit};

    /// Every run length and offset across word boundaries, against bit-by-bit copies.
    #[test]
    fn runs_copy_as_bit_by_bit() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [0usize, 1, 5, 63, 64, 65, 127, 128, 130, 200] {
            for start in [0usize, 1, 17, 63, 64, 100, 191] {
                let words = (start + len).div_ceil(64).max(1) + 1;
                let mut src = vec![0u64; len.div_ceil(64)];
                for i in 0..len {
                    if next() % 3 == 0 {
                        set_bit(&mut src, i);
                    }
                }
                // Other bits of the packed state stay as they are.
                let noise: Vec<u64> = (0..words).map(|_| next()).collect();
                let mut out = noise.clone();
                for i in 0..len {
                    let b = start + i;
                    out[b / 64] &= !(1 << (b % 64));
                }
                let mut expected = out.clone();
                or_bits(&mut out, start, &src, len);
                for i in 0..len {
                    if get_bit(&src, i) {
                        set_bit(&mut expected, start + i);
                    }
                }
                assert_eq!(out, expected, "len {len} start {start}");
                let mut back = vec![u64::MAX; len.div_ceil(64)];
                read_bits(&noise, start, len, &mut back);
                for i in 0..len {
                    assert_eq!(get_bit(&back, i), get_bit(&noise, start + i));
                }
                if len % 64 != 0 {
                    assert_eq!(back.last().unwrap() >> (len % 64), 0);
                }
            }
        }
    }

    /// The runtime's state holds only what the story uses: a bit per once-only
    /// choice, and `seen` bits up to the last node some `seen()` names; packing and
    /// unpacking keep every mark.
    #[test]
    fn states_hold_only_the_marks_the_story_uses() {
        use crate::explore::Layout;
        use threshold_runtime::Runner;
        let mut text = String::from("title: Marks\nstart: s0\n");
        for i in 0..200 {
            let next = if i + 1 < 200 {
                format!("s{}", i + 1)
            } else {
                "done".into()
            };
            text.push_str(&format!(
                "scene s{i}\n+ On\n  -> {next}\n+ Stay\n  -> s{i}\n"
            ));
        }
        text.push_str("outcome done good \"End\"\nDone.\n");
        let sticky = crate::test_story(&text);
        let s = Runner::new(&sticky).initial_state();
        assert!(s.taken.is_empty() && s.seen.is_empty(), "{s:?}");

        let text = text
            .replace("scene s70\n+ On", "scene s70\n* On")
            .replace("+ Stay\n  -> s150\n", "* Stay\n  -> s150\n")
            .replace("scene s3\n", "scene s3\n{if seen(s130)}\nAgain.\n{end}\n");
        let story = crate::test_story(&text);
        let runner = Runner::new(&story);
        assert_eq!(runner.once_only_count(), 2);
        assert_eq!(runner.once_only_id(runner.choice_id(70, 0)), Some(0));
        assert_eq!(runner.once_only_id(runner.choice_id(150, 1)), Some(1));
        assert_eq!(runner.once_only_id(runner.choice_id(150, 0)), None);
        let mut s = runner.initial_state();
        assert_eq!((s.taken.len(), s.seen.len()), (1, 3));
        let layout = Layout::new(&story);
        let mut words = vec![0u64; layout.words()];
        let mut back = runner.initial_state();
        for marks in 0..8u32 {
            s.taken[0] = u64::from(marks & 3);
            s.seen[130 / 64] = u64::from(marks >> 2) << (130 % 64);
            layout.pack(&s, &mut words);
            layout.unpack(&words, &mut back);
            assert_eq!(back, s, "marks {marks}");
        }
    }
}

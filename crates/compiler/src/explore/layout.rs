//! How a state is packed into machine words: a field for the node and for each
//! variable, then one bit per once-only choice and one per node some `seen()` names.

use threshold_runtime::ir::{Story, VarType};
use threshold_runtime::{Env, Runner, State};

use super::bits::{or_bits, read_bits};

/// Bit `i` of a packed state, as `(word, bit)`.
fn single_bit(i: usize) -> (u32, u64) {
    ((i / 64) as u32, 1 << (i % 64))
}

/// A field of a packed state: `mask` is zero for a field of no bits (a node count of
/// one, or a variable with a one-value range), which then reads as zero.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    word: u32,
    shift: u32,
    mask: u64,
}

impl Field {
    #[inline]
    fn put(self, out: &mut [u64], v: u64) {
        out[self.word as usize] |= (v & self.mask) << self.shift;
    }

    #[inline]
    pub(super) fn get(self, words: &[u64]) -> u64 {
        (words[self.word as usize] >> self.shift) & self.mask
    }

    /// The field's value in a state of one word.
    #[inline(always)]
    pub(super) fn get_one(self, word: u64) -> u64 {
        (word >> self.shift) & self.mask
    }
}

/// How a [`State`] is packed: a field for the node and each variable, then one bit per
/// once-only choice, then one bit per node that some `seen()` names.
#[derive(Debug, Clone)]
pub struct Layout {
    words: usize,
    /// Bits in use.
    bits: usize,
    node: Field,
    /// How many nodes there are.
    nodes: u64,
    vars: Vec<(Field, i64)>,
    /// How many values each variable can take (up to 2^64, for the full range).
    values: Vec<u128>,
    /// First bit of the once-only bits: the runtime's [`State::taken`], bit for bit
    /// (`taken_of[choice_id]` is a choice's number there, [`NONE`] for a sticky one).
    taken_start: usize,
    taken_of: Vec<u32>,
    /// How many once-only choices there are.
    taken_len: usize,
    seen_start: usize,
    seen_nodes: Vec<u32>,
}

/// No once-only number: the choice is sticky.
const STICKY: u32 = u32::MAX;

pub(super) fn bits_for(values: u128) -> u32 {
    if values <= 1 {
        0
    } else {
        128 - (values - 1).leading_zeros()
    }
}

impl Layout {
    pub fn new(story: &Story) -> Self {
        let mut cursor = 0usize;
        let mut alloc = |bits: u32| -> Field {
            if bits == 0 {
                return Field {
                    word: 0,
                    shift: 0,
                    mask: 0,
                };
            }
            if cursor % 64 + bits as usize > 64 {
                cursor = cursor.div_ceil(64) * 64;
            }
            let f = Field {
                word: (cursor / 64) as u32,
                shift: (cursor % 64) as u32,
                mask: if bits == 64 {
                    u64::MAX
                } else {
                    (1u64 << bits) - 1
                },
            };
            cursor += bits as usize;
            f
        };
        let node = alloc(bits_for(story.nodes.len() as u128));
        let values: Vec<u128> = story
            .variables
            .iter()
            .map(|v| match v.ty {
                VarType::Int { lo, hi } => (i128::from(hi) - i128::from(lo) + 1).max(1) as u128,
                VarType::Bool => 2,
            })
            .collect();
        let vars = story
            .variables
            .iter()
            .zip(&values)
            .map(|(v, &n)| {
                let lo = match v.ty {
                    VarType::Int { lo, .. } => lo,
                    VarType::Bool => 0,
                };
                (alloc(bits_for(n)), lo)
            })
            .collect();
        // The runtime's numbering of once-only choices, so that its bits are copied
        // as one run.
        let runner = Runner::new(story);
        let taken_of: Vec<u32> = (0..runner.choice_count())
            .map(|c| runner.once_only_id(c).unwrap_or(STICKY))
            .collect();
        let taken_len = runner.once_only_count() as usize;
        let taken_start = cursor;
        cursor += taken_len;
        let seen_nodes = story.seen_nodes();
        let seen_start = cursor;
        cursor += seen_nodes.len();
        Layout {
            words: cursor.div_ceil(64).max(1),
            bits: cursor,
            node,
            nodes: story.nodes.len() as u64,
            vars,
            values,
            taken_start,
            taken_of,
            taken_len,
            seen_start,
            seen_nodes,
        }
    }

    /// Words per packed state.
    #[inline]
    pub fn words(&self) -> usize {
        self.words
    }

    #[inline]
    pub fn pack(&self, s: &State, out: &mut [u64]) {
        if self.words == 1 {
            // Every field is in the one word.
            let mut x = (u64::from(s.node) & self.node.mask) << self.node.shift;
            for ((f, lo), &v) in self.vars.iter().zip(&s.vars) {
                x |= (v.wrapping_sub(*lo) as u64 & f.mask) << f.shift;
            }
            out[0] = x;
        } else {
            for o in out.iter_mut() {
                *o = 0;
            }
            self.node.put(out, u64::from(s.node));
            for ((f, lo), &v) in self.vars.iter().zip(&s.vars) {
                f.put(out, v.wrapping_sub(*lo) as u64);
            }
        }
        if self.taken_len != 0 {
            or_bits(out, self.taken_start, &s.taken, self.taken_len);
        }
        // Without a branch: whether a node was seen follows no pattern.
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            let bit = self.seen_start + i;
            out[bit / 64] |= u64::from(s.has_seen(n)) << (bit % 64);
        }
    }

    /// Unpacks into `s`, which must have the story's shape (from [`Runner::initial_state`]).
    #[inline]
    pub fn unpack(&self, words: &[u64], s: &mut State) {
        s.node = self.node.get(words) as u32;
        for ((f, lo), v) in self.vars.iter().zip(s.vars.iter_mut()) {
            *v = (f.get(words) as i64).wrapping_add(*lo);
        }
        read_bits(words, self.taken_start, self.taken_len, &mut s.taken);
        // Only the nodes some `seen()` names have bits in a state: each is written,
        // and nothing else of `seen` needs clearing.
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            let bit = self.seen_start + i;
            let (w, b) = (n as usize / 64, n % 64);
            let v = (words[bit / 64] >> (bit % 64)) & 1;
            s.seen[w] = (s.seen[w] & !(1 << b)) | (v << b);
        }
    }

    /// Bits in use.
    pub fn bits(&self) -> usize {
        self.bits
    }

    /// How many bits hold the node.
    pub(crate) fn node_bits(&self) -> u32 {
        self.node.mask.count_ones()
    }

    /// The node field as `(word, shift, length)`, if it has bits.
    pub(crate) fn node_run(&self) -> Option<(u32, u32, u32)> {
        (self.node.mask != 0).then_some((self.node.word, self.node.shift, self.node_bits()))
    }

    /// The lowest value of variable `v`: its field holds how far above it the value
    /// is.
    pub(super) fn var_low(&self, v: u32) -> i64 {
        self.vars[v as usize].1
    }

    /// The bits that hold variable `v`, as `(word, bits)`.
    pub(crate) fn var_bits(&self, v: u32) -> Option<(u32, u64)> {
        let f = self.vars[v as usize].0;
        (f.mask != 0).then_some((f.word, f.mask << f.shift))
    }

    /// The bit that marks once-only choice `choice_id` as taken (none for a sticky
    /// choice), as `(word, bit)`.
    pub(crate) fn taken_bit(&self, choice_id: u32) -> Option<(u32, u64)> {
        match self.taken_of[choice_id as usize] {
            STICKY => None,
            t => Some(single_bit(self.taken_start + t as usize)),
        }
    }

    /// The bit that marks the once-only choice numbered `once_id` (by the runtime's
    /// [`Runner::once_only_id`]) as taken, as `(word, bit)`.
    pub(super) fn once_bit(&self, once_id: u32) -> (u32, u64) {
        single_bit(self.taken_start + once_id as usize)
    }

    /// The bit that records whether `node` was entered (none if no `seen()` names
    /// it), as `(word, bit)`.
    pub(crate) fn seen_bit(&self, node: u32) -> Option<(u32, u64)> {
        let i = self.seen_nodes.binary_search(&node).ok()?;
        Some(single_bit(self.seen_start + i))
    }

    /// The node of a packed state.
    #[inline]
    pub(super) fn node_of(&self, words: &[u64]) -> u32 {
        self.node.get(words) as u32
    }

    /// The node's field.
    pub(super) fn node_field(&self) -> Field {
        self.node
    }

    /// Writes `node` into the node field of the cleared state `out`.
    pub(super) fn pack_node(&self, node: u32, out: &mut [u64]) {
        self.node.put(out, u64::from(node));
    }

    /// Where the marks (once-only, then `seen`) start, and how many bits they take:
    /// they are a packed state's last bits.
    fn marks(&self) -> (usize, usize) {
        (self.taken_start, self.bits - self.taken_start)
    }

    /// A one-word state's fields as a mixed radix numbering: a [`Digit`] for the
    /// node, each variable, and all the marks taken together, with the number of
    /// combinations; `None` past `u64`.
    pub(super) fn mixed_radix(&self) -> Option<(Vec<Digit>, u64)> {
        let (marks_start, marks) = self.marks();
        let mut fields = vec![(self.node.shift, self.node.mask, 1u64)];
        let mut combos = self.nodes.max(1);
        for ((f, _), &n) in self.vars.iter().zip(&self.values) {
            fields.push((f.shift, f.mask, combos));
            combos = combos.checked_mul(u64::try_from(n).ok()?)?;
        }
        let mask = if marks == 0 {
            0
        } else {
            u64::MAX >> (64 - marks)
        };
        fields.push((marks_start as u32, mask, combos));
        combos = combos.checked_mul(1u64.checked_shl(marks as u32)?)?;
        Some((fields, combos))
    }
}

/// A state of one word read as the runtime reads a [`State`], so that the runtime's
/// own evaluation ([`threshold_runtime::eval_in`]) can test a condition in it.
pub(super) struct WordEnv<'a> {
    pub(super) layout: &'a Layout,
    pub(super) word: u64,
}

impl Env for WordEnv<'_> {
    #[inline(always)]
    fn var(&self, var: u32) -> i64 {
        let (f, lo) = self.layout.vars[var as usize];
        (f.get_one(self.word) as i64).wrapping_add(lo)
    }

    fn seen(&self, node: u32) -> bool {
        self.layout
            .seen_bit(node)
            .is_some_and(|(_, bit)| self.word & bit != 0)
    }

    #[inline]
    fn node(&self) -> u32 {
        self.layout.node.get_one(self.word) as u32
    }
}

/// A digit of a mixed radix numbering of one-word states: `(shift, mask, stride)`,
/// the field's bits in the word and what one unit of it counts.
pub(super) type Digit = (u32, u64, u64);

/// The width of the packed states a breadth-first search is compiled for: one word
/// whose footprints are read in the flat form ([`super::memo::WordPrint`]), or any
/// number of words, whose footprints are gathered run by run.
pub(super) trait Width: Copy {
    /// States are one word and footprints flat.
    const ONE: bool;
    /// Words per state.
    fn words(self) -> usize;
}

/// One word a state, footprints flat.
#[derive(Debug, Clone, Copy)]
pub(super) struct OneWord;

/// Any number of words a state, footprints gathered.
#[derive(Debug, Clone, Copy)]
pub(super) struct Words(pub(super) usize);

impl Width for OneWord {
    const ONE: bool = true;
    #[inline(always)]
    fn words(self) -> usize {
        1
    }
}

impl Width for Words {
    const ONE: bool = false;
    #[inline(always)]
    fn words(self) -> usize {
        self.0
    }
}

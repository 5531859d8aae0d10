//! Explicit-state exploration: every reachable choice-point state of a story, packed
//! into a few machine words, found breadth-first with the runtime's transition function.

use hashbrown::HashTable;
use threshold_runtime::ir::{NodeKind, Story, VarType};
use threshold_runtime::{get_bit, set_bit, Runner, Sink, State, Stop};

/// The default for `--max-states`.
pub const DEFAULT_MAX_STATES: usize = 10_000_000;

/// A field of a packed state.
#[derive(Debug, Clone, Copy)]
struct Field {
    word: u32,
    shift: u32,
    bits: u32,
}

impl Field {
    fn mask(self) -> u64 {
        if self.bits == 64 {
            u64::MAX
        } else {
            (1u64 << self.bits) - 1
        }
    }
}

/// How a [`State`] is packed: a field for the node and each variable, then one bit per
/// once-only choice, then one bit per node that some `seen()` names.
#[derive(Debug, Clone)]
pub struct Layout {
    words: usize,
    node: Field,
    vars: Vec<(Field, i64)>,
    /// First bit of the once-only bits; `taken_of[choice_id]` is a choice's bit.
    taken_start: usize,
    taken_of: Vec<u32>,
    choice_of_taken: Vec<u32>,
    seen_start: usize,
    seen_nodes: Vec<u32>,
}

const NONE: u32 = u32::MAX;

fn bits_for(values: u128) -> u32 {
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
            if bits > 0 && cursor % 64 + bits as usize > 64 {
                cursor = cursor.div_ceil(64) * 64;
            }
            let f = Field {
                word: (cursor / 64) as u32,
                shift: (cursor % 64) as u32,
                bits,
            };
            cursor += bits as usize;
            f
        };
        let node = alloc(bits_for(story.nodes.len() as u128));
        let vars = story
            .variables
            .iter()
            .map(|v| match v.ty {
                VarType::Int { lo, hi } => {
                    (alloc(bits_for((hi as i128 - lo as i128 + 1) as u128)), lo)
                }
                VarType::Bool => (alloc(1), 0),
            })
            .collect();
        let mut taken_of = Vec::new();
        let mut choice_of_taken = Vec::new();
        for node in &story.nodes {
            for c in &node.choices {
                if c.sticky {
                    taken_of.push(NONE);
                } else {
                    taken_of.push(choice_of_taken.len() as u32);
                    choice_of_taken.push(taken_of.len() as u32 - 1);
                }
            }
        }
        let taken_start = cursor;
        cursor += choice_of_taken.len();
        let mut seen_nodes = Vec::new();
        for node in &story.nodes {
            collect_seen(node, &mut seen_nodes);
        }
        seen_nodes.sort_unstable();
        seen_nodes.dedup();
        let seen_start = cursor;
        cursor += seen_nodes.len();
        Layout {
            words: cursor.div_ceil(64).max(1),
            node,
            vars,
            taken_start,
            taken_of,
            choice_of_taken,
            seen_start,
            seen_nodes,
        }
    }

    /// Words per packed state.
    pub fn words(&self) -> usize {
        self.words
    }

    pub fn pack(&self, s: &State, out: &mut [u64]) {
        out.fill(0);
        put(out, self.node, u64::from(s.node));
        for ((f, lo), &v) in self.vars.iter().zip(&s.vars) {
            put(out, *f, v.wrapping_sub(*lo) as u64);
        }
        for (w, &word) in s.taken.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let t = self.taken_of[w * 64 + b];
                if t != NONE {
                    set_bit(out, self.taken_start + t as usize);
                }
            }
        }
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            if s.has_seen(n) {
                set_bit(out, self.seen_start + i);
            }
        }
    }

    /// Unpacks into `s`, which must have the story's shape (from [`Runner::initial_state`]).
    pub fn unpack(&self, words: &[u64], s: &mut State) {
        s.node = get(words, self.node) as u32;
        for ((f, lo), v) in self.vars.iter().zip(s.vars.iter_mut()) {
            *v = (get(words, *f) as i64).wrapping_add(*lo);
        }
        s.taken.fill(0);
        for t in 0..self.choice_of_taken.len() {
            if get_bit(words, self.taken_start + t) {
                set_bit(&mut s.taken, self.choice_of_taken[t] as usize);
            }
        }
        s.seen.fill(0);
        for (i, &n) in self.seen_nodes.iter().enumerate() {
            if get_bit(words, self.seen_start + i) {
                set_bit(&mut s.seen, n as usize);
            }
        }
    }
}

fn put(out: &mut [u64], f: Field, v: u64) {
    if f.bits > 0 {
        out[f.word as usize] |= (v & f.mask()) << f.shift;
    }
}

fn get(words: &[u64], f: Field) -> u64 {
    if f.bits == 0 {
        0
    } else {
        (words[f.word as usize] >> f.shift) & f.mask()
    }
}

fn collect_seen(node: &threshold_runtime::ir::Node, out: &mut Vec<u32>) {
    use threshold_runtime::ir::{Expr, Stmt, TextPart};
    fn expr(e: &Expr, out: &mut Vec<u32>) {
        match e {
            Expr::Seen(n) => out.push(*n),
            Expr::Not(x) | Expr::Neg(x) => expr(x, out),
            Expr::Bin(_, a, b) => {
                expr(a, out);
                expr(b, out);
            }
            Expr::Const(_) | Expr::Var(_) => {}
        }
    }
    fn text(t: &threshold_runtime::ir::Text, out: &mut Vec<u32>) {
        for p in &t.parts {
            if let TextPart::Expr { expr: e, .. } = p {
                expr(e, out);
            }
        }
    }
    fn block(b: &[Stmt], out: &mut Vec<u32>) {
        for s in b {
            match s {
                Stmt::Line { text: t, .. } | Stmt::Note { text: t } => text(t, out),
                Stmt::Effects { effects } => effects.iter().for_each(|e| expr(&e.value, out)),
                Stmt::Divert { .. } => {}
                Stmt::If {
                    branches,
                    otherwise,
                } => {
                    for br in branches {
                        expr(&br.cond, out);
                        block(&br.body, out);
                    }
                    block(otherwise, out);
                }
            }
        }
    }
    block(&node.body, out);
    for c in &node.choices {
        if let Some(g) = &c.guard {
            expr(g, out);
        }
        text(&c.text, out);
        block(&c.body, out);
    }
}

/// What an explored state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Waits for a choice; at least one is available.
    Waiting,
    Outcome,
    DeadEnd,
    /// Not a state: stands for "the diverts from here run in a circle"; its node is
    /// the first node of the circle.
    DivertLoop,
}

/// The explored state graph. States are numbered in breadth-first order, choices in
/// source order, so following [`Graph::parent`] gives the shortest path whose choice
/// numbers are lexicographically smallest.
#[derive(Debug)]
pub struct Graph {
    pub layout: Layout,
    packed: Vec<u64>,
    pub kinds: Vec<Kind>,
    /// The node of each state (for a divert loop, the loop's first node).
    nodes: Vec<u32>,
    pub parent: Vec<u32>,
    /// The index, among the node's choices, of the choice that led here.
    pub parent_choice: Vec<u32>,
    edge_start: Vec<u32>,
    /// Successors, and the choice index that leads to each.
    edges: Vec<u32>,
    edge_choice: Vec<u32>,
    /// Nodes entered by some play.
    pub entered: Vec<u64>,
    /// Choices (story-wide ids) offered in some state.
    pub offered: Vec<u64>,
    /// True when exploration stopped at the state limit.
    pub limited: bool,
    /// States where play waits or ends (divert-loop markers excluded).
    pub state_count: usize,
}

struct Entered<'a>(&'a mut Vec<u64>);

impl Sink for Entered<'_> {
    fn enter(&mut self, node: u32) {
        set_bit(self.0, node as usize);
    }
}

fn hash_words(w: &[u64]) -> u64 {
    let mut h = 0x243F_6A88_85A3_08D3u64;
    for &x in w {
        h = (h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        h ^= h >> 29;
    }
    h
}

pub const NO_PARENT: u32 = u32::MAX;

impl Graph {
    /// Explores every state reachable from the start, up to `max_states` states.
    pub fn explore(story: &Story, max_states: usize) -> Graph {
        let layout = Layout::new(story);
        let w = layout.words();
        let mut runner = Runner::new(story);
        let mut g = Graph {
            packed: Vec::new(),
            kinds: Vec::new(),
            nodes: Vec::new(),
            parent: Vec::new(),
            parent_choice: Vec::new(),
            edge_start: Vec::new(),
            edges: Vec::new(),
            edge_choice: Vec::new(),
            entered: vec![0; story.nodes.len().div_ceil(64)],
            offered: vec![0; (runner.choice_count() as usize).div_ceil(64)],
            limited: false,
            state_count: 0,
            layout,
        };
        let mut table: HashTable<u32> = HashTable::new();
        let mut loops: Vec<u32> = vec![NONE; story.nodes.len()];
        let mut key = vec![0u64; w];

        let (first, stop) = runner.start(&mut Entered(&mut g.entered));
        g.intern(
            story, &first, stop, NO_PARENT, 0, &mut table, &mut loops, &mut key, max_states,
        );

        let mut cur = runner.initial_state();
        let mut next = cur.clone();
        let mut head = 0usize;
        while head < g.kinds.len() && !g.limited {
            g.edge_start.push(g.edges.len() as u32);
            if g.kinds[head] != Kind::Waiting {
                head += 1;
                continue;
            }
            g.layout
                .unpack(&g.packed[head * w..(head + 1) * w], &mut cur);
            let n = story.nodes[cur.node as usize].choices.len();
            for i in 0..n {
                if !runner.is_available(&cur, i) {
                    continue;
                }
                set_bit(&mut g.offered, runner.choice_id(cur.node, i) as usize);
                next.clone_from(&cur);
                let stop = runner.choose(&mut next, i, &mut Entered(&mut g.entered));
                let t = g.intern(
                    story,
                    &next,
                    stop,
                    head as u32,
                    i as u32,
                    &mut table,
                    &mut loops,
                    &mut key,
                    max_states,
                );
                if g.limited {
                    break;
                }
                g.edges.push(t);
                g.edge_choice.push(i as u32);
            }
            head += 1;
        }
        while g.edge_start.len() <= g.kinds.len() {
            g.edge_start.push(g.edges.len() as u32);
        }
        g
    }

    #[allow(clippy::too_many_arguments)]
    fn intern(
        &mut self,
        story: &Story,
        s: &State,
        stop: Stop,
        parent: u32,
        choice: u32,
        table: &mut HashTable<u32>,
        loops: &mut [u32],
        key: &mut [u64],
        max_states: usize,
    ) -> u32 {
        let w = self.layout.words();
        if let Stop::DivertLoop { node } = stop {
            if loops[node as usize] != NONE {
                return loops[node as usize];
            }
            let id = self.kinds.len() as u32;
            loops[node as usize] = id;
            self.packed.extend(std::iter::repeat_n(0, w));
            self.push_meta(Kind::DivertLoop, node, parent, choice);
            return id;
        }
        self.layout.pack(s, key);
        let h = hash_words(key);
        let packed = &self.packed;
        if let Some(&id) = table.find(h, |&i| &packed[i as usize * w..(i as usize + 1) * w] == key)
        {
            return id;
        }
        if self.state_count >= max_states {
            self.limited = true;
            return NONE;
        }
        let id = self.kinds.len() as u32;
        self.packed.extend_from_slice(key);
        let packed = &self.packed;
        table.insert_unique(h, id, |&i| {
            hash_words(&packed[i as usize * w..(i as usize + 1) * w])
        });
        let kind = match stop {
            Stop::Choice => Kind::Waiting,
            Stop::Outcome => Kind::Outcome,
            Stop::DeadEnd => Kind::DeadEnd,
            Stop::DivertLoop { .. } => unreachable!("handled above"),
        };
        debug_assert!(
            kind != Kind::Outcome
                || matches!(story.nodes[s.node as usize].kind, NodeKind::Outcome { .. })
        );
        self.state_count += 1;
        self.push_meta(kind, s.node, parent, choice);
        id
    }

    fn push_meta(&mut self, kind: Kind, node: u32, parent: u32, choice: u32) {
        self.kinds.push(kind);
        self.nodes.push(node);
        self.parent.push(parent);
        self.parent_choice.push(choice);
    }

    /// The bytes the graph's tables hold on the heap (their capacities).
    pub fn heap_bytes(&self) -> usize {
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        cap(&self.packed)
            + cap(&self.kinds)
            + cap(&self.nodes)
            + cap(&self.parent)
            + cap(&self.parent_choice)
            + cap(&self.edge_start)
            + cap(&self.edges)
            + cap(&self.edge_choice)
            + cap(&self.entered)
            + cap(&self.offered)
    }

    /// How many entries the graph holds (states and divert-loop markers).
    pub fn len(&self) -> usize {
        self.kinds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    pub fn node(&self, i: u32) -> u32 {
        self.nodes[i as usize]
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// The successors of state `i`, each with the index of the choice that leads there.
    pub fn successors(&self, i: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let (a, b) = (
            self.edge_start[i as usize] as usize,
            self.edge_start[i as usize + 1] as usize,
        );
        self.edges[a..b]
            .iter()
            .copied()
            .zip(self.edge_choice[a..b].iter().copied())
    }

    /// Unpacks state `i` into `s` (shaped by [`Runner::initial_state`]).
    pub fn state_into(&self, i: u32, s: &mut State) {
        let w = self.layout.words();
        self.layout
            .unpack(&self.packed[i as usize * w..(i as usize + 1) * w], s);
    }

    /// The states from the start to `i`: `[start, …, i]`.
    pub fn trail(&self, i: u32) -> Vec<u32> {
        let mut v = vec![i];
        let mut at = i;
        while self.parent[at as usize] != NO_PARENT {
            at = self.parent[at as usize];
            v.push(at);
        }
        v.reverse();
        v
    }

    /// The choice texts, as the trainee read them, from the start to state `i`.
    pub fn path(&self, story: &Story, i: u32) -> Vec<String> {
        let runner = Runner::new(story);
        let mut s = runner.initial_state();
        let trail = self.trail(i);
        trail
            .windows(2)
            .map(|w| {
                self.state_into(w[0], &mut s);
                let choice = &story.nodes[s.node as usize].choices
                    [self.parent_choice[w[1] as usize] as usize];
                story.render(&choice.text, &s)
            })
            .collect()
    }

    /// For each state: whether some outcome can be reached from it; and for each state
    /// the strongly connected component it belongs to, with which components are
    /// closed (no edge leaves them).
    pub fn components(&self) -> Components {
        tarjan(self)
    }
}

/// Strongly connected components of the state graph.
#[derive(Debug)]
pub struct Components {
    /// Component of each state; components are numbered in reverse topological order
    /// (every edge goes to a component with a smaller or equal number).
    pub comp: Vec<u32>,
    /// Per component: whether an outcome is reachable from it.
    pub reaches_outcome: Vec<bool>,
    /// Per component: no edge leaves it.
    pub closed: Vec<bool>,
    /// Per component: it holds a cycle (more than one state, or a state with an edge to itself).
    pub cyclic: Vec<bool>,
}

fn tarjan(g: &Graph) -> Components {
    let n = g.len();
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, u32)> = Vec::new();
    let mut next_index = 0u32;
    let mut reaches = Vec::new();
    let mut closed = Vec::new();
    let mut cyclic = Vec::new();
    for root in 0..n as u32 {
        if index[root as usize] != UNSEEN {
            continue;
        }
        calls.push((root, g.edge_start[root as usize]));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        while let Some(&mut (v, ref mut e)) = calls.last_mut() {
            let end = g.edge_start[v as usize + 1];
            if *e < end {
                let t = g.edges[*e as usize];
                *e += 1;
                if index[t as usize] == UNSEEN {
                    index[t as usize] = next_index;
                    low[t as usize] = next_index;
                    next_index += 1;
                    stack.push(t);
                    calls.push((t, g.edge_start[t as usize]));
                } else if comp[t as usize] == UNSEEN {
                    low[v as usize] = low[v as usize].min(index[t as usize]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(p, _)) = calls.last() {
                low[p as usize] = low[p as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                let c = reaches.len() as u32;
                let mut members = 0usize;
                let mut reach = false;
                let mut is_closed = true;
                let mut self_loop = false;
                let top = stack.len();
                let mut start = top;
                while let Some(&m) = stack.get(start.wrapping_sub(1)) {
                    start -= 1;
                    comp[m as usize] = c;
                    if m == v {
                        break;
                    }
                }
                for &m in &stack[start..top] {
                    members += 1;
                    if g.kinds[m as usize] == Kind::Outcome {
                        reach = true;
                    }
                    for (t, _) in g.successors(m) {
                        let tc = comp[t as usize];
                        if tc != c {
                            is_closed = false;
                            reach |= reaches[tc as usize];
                        } else if t == m {
                            self_loop = true;
                        }
                    }
                }
                stack.truncate(start);
                reaches.push(reach);
                closed.push(is_closed);
                cyclic.push(members > 1 || self_loop);
            }
        }
    }
    Components {
        comp,
        reaches_outcome: reaches,
        closed,
        cyclic,
    }
}

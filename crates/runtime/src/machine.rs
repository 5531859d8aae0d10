//! The one transition function: from a state, run the story to the next choice point,
//! outcome, or stuck state. The checker and the player both run stories through here.

use serde::{Deserialize, Serialize};

use crate::ir::*;

/// Where play stands: the node it waits at (or ended in), the variables, the
/// once-only choices taken and the entered nodes that some `seen()` asks about —
/// the contract's state, and nothing else, so that a transition copies only what
/// the story uses.
#[derive(Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct State {
    pub node: NodeId,
    pub vars: Vec<i64>,
    /// One bit per once-only choice of the story (numbered by
    /// [`Runner::once_only_id`]); set once the choice is taken. Sticky choices have
    /// no bit.
    pub taken: Vec<u64>,
    /// Indexed by node, but only a node that some `seen()` names (in a scene or a
    /// check: [`Story::seen_nodes`]) ever has its bit set, when it is entered; the
    /// vector ends after the last such node's word (empty when no `seen()` is
    /// written).
    pub seen: Vec<u64>,
}

impl Clone for State {
    fn clone(&self) -> Self {
        State {
            node: self.node,
            vars: self.vars.clone(),
            taken: self.taken.clone(),
            seen: self.seen.clone(),
        }
    }

    /// Reuses the vectors' memory: the checker copies a state for every transition.
    fn clone_from(&mut self, source: &Self) {
        self.node = source.node;
        self.vars.clone_from(&source.vars);
        self.taken.clone_from(&source.taken);
        self.seen.clone_from(&source.seen);
    }
}

impl State {
    /// Whether `node` was entered; known only for a node some `seen()` names.
    #[inline]
    pub fn has_seen(&self, node: NodeId) -> bool {
        let i = node as usize;
        self.seen
            .get(i / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Whether the once-only choice numbered `once_id` ([`Runner::once_only_id`])
    /// was taken.
    #[inline]
    pub fn has_taken(&self, once_id: u32) -> bool {
        get_bit(&self.taken, once_id as usize)
    }
}

#[inline]
pub fn get_bit(bits: &[u64], i: usize) -> bool {
    bits[i / 64] >> (i % 64) & 1 == 1
}

#[inline]
pub fn set_bit(bits: &mut [u64], i: usize) {
    bits[i / 64] |= 1 << (i % 64);
}

/// Why a transition stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Stop {
    /// Play waits at a scene with at least one choice available.
    Choice,
    /// Play reached an outcome (its body has run).
    Outcome,
    /// Play waits at a scene where no choice is available.
    DeadEnd,
    /// Diverts run in a circle without ever waiting; `node` is the first node of the
    /// circle that was entered.
    DivertLoop { node: NodeId },
    /// A divert chain reached its 1,000,001st divert ([`DIVERT_LIMIT`]) without
    /// repeating a configuration; `node` is the node that divert enters.
    DivertLimit { node: NodeId },
}

/// What a transition reports on its way. Every method has an empty default, so the
/// checker's sink costs nothing.
pub trait Sink {
    fn enter(&mut self, _node: NodeId) {}
    fn line(&mut self, _speaker: Option<u32>, _text: &Text, _state: &State) {}
    /// A feedback note; `rating` is set for a rated note (`! good: …`).
    fn note(&mut self, _text: &Text, _rating: Option<Rating>, _state: &State) {}
    /// The rating of the move just taken, once its choice's body has run: the lowest
    /// rating among the rated notes that ran in it, or `None` (unrated).
    fn moved(&mut self, _rating: Option<Rating>) {}
    /// The transition read variable `var`: an expression named it, or an effect
    /// added to it or took from it.
    fn read_var(&mut self, _var: VarId) {}
    /// The transition read whether `node` was entered (`seen()`).
    fn read_seen(&mut self, _node: NodeId) {}
    /// The transition read whether the once-only choice numbered `once_id` was taken.
    fn read_taken(&mut self, _once_id: u32) {}
    /// The transition wrote variable `var`.
    fn write_var(&mut self, _var: VarId) {}
    /// The transition is about to evaluate a condition: a choice's guard or an
    /// `if`'s. The reads it reports until [`Sink::tested`] are the condition's.
    fn test(&mut self) {}
    /// The condition `cond`, evaluated in `state`, `holds` or not: all that play
    /// takes from it.
    fn tested(&mut self, _cond: &Expr, _state: &State, _holds: bool) {}
    /// The transition has stopped at a scene and now reads whether any of its
    /// choices is offered, to tell waiting from stuck (`true`), or is done reading
    /// (`false`). What it reads in between decides only that.
    fn waits(&mut self, _checking: bool) {}
}

impl Sink for () {}

/// [`Runner::once_only_id`]'s mark of a sticky choice.
const STICKY: u32 = u32::MAX;

/// After this many diverts in one transition, the runner starts looking for a
/// repeated configuration (a divert loop); shorter chains pay nothing for it.
const LOOP_CHECK_AFTER: usize = 32;

/// The most diverts one transition may run (the contract's "Limits"): a chain that
/// has not repeated a configuration by then stops with [`Stop::DivertLimit`] at its
/// next divert.
pub const DIVERT_LIMIT: usize = 1_000_000;

/// Runs one story. Holds the per-story tables and reusable scratch space.
#[derive(Debug)]
pub struct Runner<'s> {
    story: &'s Story,
    choice_base: Vec<u32>,
    choice_count: u32,
    /// Per choice (story-wide id): its number among the once-only choices, in story
    /// order, or [`STICKY`].
    once_of: Vec<u32>,
    once_count: u32,
    /// Per node: whether some `seen()` names it, so that entering it is recorded.
    tracked: Vec<bool>,
    /// Words of [`State::seen`]: up to the last tracked node's.
    seen_words: usize,
    /// Per node: whether its body can divert (so that a chain can start there).
    may_divert: Vec<bool>,
    chain: ChainScratch,
}

/// What a divert chain keeps to tell a loop from a long chain in constant memory:
/// the configuration it started from, Brent's saved configuration, and room to
/// replay the chain without reporting anything.
#[derive(Debug, Default)]
struct ChainScratch {
    /// The chain's first configuration (the first node entered), saved only when
    /// that node can divert.
    origin: State,
    /// Brent's cycle finder: the configuration last saved, at a power of two.
    tortoise: State,
    /// The configuration at the [`DIVERT_LIMIT`]th divert.
    mark: State,
    probe: State,
    /// Nodes of a loop, one bit each.
    in_loop: Vec<u64>,
}

/// Whether two states of one chain are the same configuration: node, variables and
/// entered nodes (a chain takes no choice).
#[inline]
fn same_configuration(a: &State, b: &State) -> bool {
    a.node == b.node && a.vars == b.vars && a.seen == b.seen
}

fn block_diverts(block: &[Stmt]) -> bool {
    block.iter().any(|s| match s {
        Stmt::Divert { .. } => true,
        Stmt::If {
            branches,
            otherwise,
        } => branches.iter().any(|b| block_diverts(&b.body)) || block_diverts(otherwise),
        _ => false,
    })
}

impl<'s> Runner<'s> {
    pub fn new(story: &'s Story) -> Self {
        let mut choice_base = Vec::with_capacity(story.nodes.len());
        let mut once_of = Vec::new();
        let mut once_count = 0u32;
        let mut n = 0u32;
        for node in &story.nodes {
            choice_base.push(n);
            n += node.choices.len() as u32;
            for c in &node.choices {
                if c.sticky {
                    once_of.push(STICKY);
                } else {
                    once_of.push(once_count);
                    once_count += 1;
                }
            }
        }
        let seen_nodes = story.seen_nodes();
        let mut tracked = vec![false; story.nodes.len()];
        for &node in &seen_nodes {
            tracked[node as usize] = true;
        }
        let seen_words = seen_nodes.last().map_or(0, |&last| last as usize / 64 + 1);
        Runner {
            story,
            choice_base,
            choice_count: n,
            once_of,
            once_count,
            tracked,
            seen_words,
            may_divert: story.nodes.iter().map(|n| block_diverts(&n.body)).collect(),
            chain: ChainScratch::default(),
        }
    }

    /// The bytes a divert chain may hold besides the state (its saved
    /// configurations), at most: what `--max-memory` charges for it.
    pub fn chain_bytes(&self) -> usize {
        // Configurations (whose `taken` a chain leaves as it is) and the loop's
        // nodes, one bit each.
        let state = 8
            * (self.story.variables.len()
                + (self.once_count as usize).div_ceil(64)
                + self.seen_words)
            + std::mem::size_of::<State>();
        4 * state + 8 * self.story.nodes.len().div_ceil(64)
    }

    pub fn story(&self) -> &'s Story {
        self.story
    }

    /// The story-wide number of choice `index` of `node`.
    pub fn choice_id(&self, node: NodeId, index: usize) -> u32 {
        self.choice_base[node as usize] + index as u32
    }

    /// How many choices the story has in all.
    pub fn choice_count(&self) -> u32 {
        self.choice_count
    }

    /// The number of the choice with story-wide id `choice_id` among the story's
    /// once-only choices (in story order): its bit in [`State::taken`]. `None` for a
    /// sticky choice.
    #[inline]
    pub fn once_only_id(&self, choice_id: u32) -> Option<u32> {
        match self.once_of[choice_id as usize] {
            STICKY => None,
            t => Some(t),
        }
    }

    /// How many once-only choices the story has: the bits of [`State::taken`].
    pub fn once_only_count(&self) -> u32 {
        self.once_count
    }

    /// Records that play entered `node`, if some `seen()` asks about it.
    #[inline]
    fn mark_entered(&self, seen: &mut [u64], node: NodeId) {
        if self.tracked[node as usize] {
            set_bit(seen, node as usize);
        }
    }

    /// The state before the start node is entered.
    pub fn initial_state(&self) -> State {
        State {
            node: self.story.start,
            vars: self.story.variables.iter().map(|v| v.init).collect(),
            taken: vec![0; (self.once_count as usize).div_ceil(64)],
            seen: vec![0; self.seen_words],
        }
    }

    /// Enters the start node from the initial state.
    pub fn start<S: Sink>(&mut self, sink: &mut S) -> (State, Stop) {
        let mut state = self.initial_state();
        let stop = self.enter(&mut state, self.story.start, sink);
        (state, stop)
    }

    /// Whether choice `index` of the scene `state` waits at is offered.
    pub fn is_available(&self, state: &State, index: usize) -> bool {
        self.is_available_with(state, index, &mut ())
    }

    /// [`Runner::is_available`], telling `sink` what it reads.
    pub fn is_available_with<S: Sink>(&self, state: &State, index: usize, sink: &mut S) -> bool {
        let choice = &self.story.nodes[state.node as usize].choices[index];
        if !choice.sticky {
            let once = self.once_of[self.choice_id(state.node, index) as usize];
            sink.read_taken(once);
            if state.has_taken(once) {
                return false;
            }
        }
        choice.guard.as_ref().is_none_or(|g| holds(g, state, sink))
    }

    /// The indices of the choices offered at `state`, in source order.
    pub fn available(&self, state: &State, out: &mut Vec<usize>) {
        out.clear();
        let n = self.story.nodes[state.node as usize].choices.len();
        out.extend((0..n).filter(|&i| self.is_available(state, i)));
    }

    /// Takes choice `index` of the scene `state` waits at, and runs to the next stop.
    /// The caller makes sure the choice is available.
    pub fn choose<S: Sink>(&mut self, state: &mut State, index: usize, sink: &mut S) -> Stop {
        let story = self.story;
        let choice = &story.nodes[state.node as usize].choices[index];
        if !choice.sticky {
            let id = self.choice_id(state.node, index);
            set_bit(&mut state.taken, self.once_of[id as usize] as usize);
        }
        let mut rated = MoveRating::default();
        let next = exec(story, &choice.body, state, &mut rated, sink);
        sink.moved(rated.0);
        match next {
            Some(target) => self.enter(state, target, sink),
            // The compiler rejects a choice body that can end without a divert.
            None => Stop::DeadEnd,
        }
    }

    /// Runs the divert chain that starts by entering `node`. Configuration `k` is
    /// the state as the chain enters its node after `k` diverts. From the
    /// [`LOOP_CHECK_AFTER`]th divert on, Brent's method compares each configuration
    /// with one saved at a power of two, in constant memory; a chain still going at
    /// its [`DIVERT_LIMIT`]th divert is settled by [`Runner::settle_long_chain`].
    fn enter<S: Sink>(&mut self, state: &mut State, mut node: NodeId, sink: &mut S) -> Stop {
        let story = self.story;
        let mut hops = 0usize;
        // Brent: diverts since the tortoise was saved, and the span before it moves.
        let (mut power, mut lam) = (1usize, 0usize);
        loop {
            state.node = node;
            self.mark_entered(&mut state.seen, node);
            if hops == 0 {
                if self.may_divert[node as usize] {
                    self.chain.origin.clone_from(state);
                }
            } else if hops >= LOOP_CHECK_AFTER {
                if hops == LOOP_CHECK_AFTER {
                    self.chain.tortoise.clone_from(state);
                } else {
                    lam += 1;
                    if same_configuration(state, &self.chain.tortoise) {
                        let node = self.loop_entry(state, lam, hops);
                        return Stop::DivertLoop { node };
                    }
                    if lam == power {
                        self.chain.tortoise.clone_from(state);
                        power *= 2;
                        lam = 0;
                    }
                }
                if hops == DIVERT_LIMIT {
                    self.chain.mark.clone_from(state);
                }
            }
            sink.enter(node);
            let n = &story.nodes[node as usize];
            // Rated notes stand only in choices' bodies; a node's body rates nothing.
            if let Some(target) = exec(story, &n.body, state, &mut MoveRating::default(), sink) {
                if hops == DIVERT_LIMIT {
                    return self.settle_long_chain(target);
                }
                node = target;
                hops += 1;
                continue;
            }
            if n.is_outcome() {
                return Stop::Outcome;
            }
            sink.waits(true);
            let any = (0..n.choices.len()).any(|i| self.is_available_with(state, i, sink));
            sink.waits(false);
            return if any { Stop::Choice } else { Stop::DeadEnd };
        }
    }

    /// Enters `s.node` without reporting anything and runs its body: the divert
    /// target, if the body diverts.
    fn step_quietly(story: &Story, tracked: &[bool], s: &mut State) -> Option<NodeId> {
        if tracked[s.node as usize] {
            set_bit(&mut s.seen, s.node as usize);
        }
        let body = &story.nodes[s.node as usize].body;
        let next = exec(story, body, s, &mut MoveRating::default(), &mut ());
        if let Some(t) = next {
            s.node = t;
            if tracked[t as usize] {
                set_bit(&mut s.seen, t as usize);
            }
        }
        next
    }

    /// A chain whose configuration `to` equals the one `lam` diverts before it (the
    /// state `at`): of the nodes of that loop, the one the chain entered first.
    fn loop_entry(&mut self, at: &State, lam: usize, to: usize) -> NodeId {
        let story = self.story;
        let c = &mut self.chain;
        c.in_loop.clear();
        c.in_loop.resize(story.nodes.len().div_ceil(64), 0);
        c.probe.clone_from(at);
        for _ in 0..lam {
            set_bit(&mut c.in_loop, c.probe.node as usize);
            if Self::step_quietly(story, &self.tracked, &mut c.probe).is_none() {
                break;
            }
        }
        // The chain again from its start, to the first node of the loop.
        c.probe.clone_from(&c.origin);
        for _ in 0..=to {
            if get_bit(&c.in_loop, c.probe.node as usize) {
                return c.probe.node;
            }
            if Self::step_quietly(story, &self.tracked, &mut c.probe).is_none() {
                break;
            }
        }
        at.node
    }

    /// The chain is at its [`DIVERT_LIMIT`]th configuration (saved in `mark`) and
    /// about to divert to `target` once more. It is a loop exactly when some earlier
    /// configuration equals the one there: then the chain comes back to it within
    /// `DIVERT_LIMIT` more diverts, after the loop's length `λ`, and the
    /// configuration `λ` diverts before the mark equals it too. Both are replayed
    /// quietly. Otherwise the chain stops at the limit.
    #[cold]
    #[inline(never)]
    fn settle_long_chain(&mut self, target: NodeId) -> Stop {
        let story = self.story;
        let c = &mut self.chain;
        c.probe.clone_from(&c.mark);
        let mut lam = 0usize;
        for k in 1..=DIVERT_LIMIT {
            if Self::step_quietly(story, &self.tracked, &mut c.probe).is_none() {
                break;
            }
            if same_configuration(&c.probe, &c.mark) {
                lam = k;
                break;
            }
        }
        if lam > 0 {
            c.probe.clone_from(&c.origin);
            for _ in 0..DIVERT_LIMIT - lam {
                Self::step_quietly(story, &self.tracked, &mut c.probe);
            }
            if same_configuration(&c.probe, &c.mark) {
                let at = std::mem::take(&mut self.chain.mark);
                let node = self.loop_entry(&at, lam, DIVERT_LIMIT);
                self.chain.mark = at;
                return Stop::DivertLoop { node };
            }
        }
        Stop::DivertLimit { node: target }
    }
}

/// The lowest rating among the rated notes run so far in a choice's body.
#[derive(Debug, Default, Clone, Copy)]
struct MoveRating(Option<Rating>);

impl MoveRating {
    fn add(&mut self, r: Rating) {
        // `Rating` orders good < mixed < bad, so the lowest rating is the greatest.
        self.0 = Some(self.0.map_or(r, |m| m.max(r)));
    }
}

/// Runs a block; returns the divert target if the block diverts.
fn exec<S: Sink>(
    story: &Story,
    block: &[Stmt],
    state: &mut State,
    rated: &mut MoveRating,
    sink: &mut S,
) -> Option<NodeId> {
    for stmt in block {
        match stmt {
            Stmt::Line { speaker, text } => sink.line(*speaker, text, state),
            Stmt::Note { text, rating } => {
                if let Some(r) = rating {
                    rated.add(*r);
                }
                sink.note(text, *rating, state);
            }
            Stmt::Effects { effects } => {
                for e in effects {
                    let v = eval_in(&e.value, state, sink);
                    if e.op != AssignOp::Set {
                        sink.read_var(e.var);
                    }
                    sink.write_var(e.var);
                    let var = &story.variables[e.var as usize];
                    let slot = &mut state.vars[e.var as usize];
                    let new = match e.op {
                        AssignOp::Set => v,
                        AssignOp::Add => slot.saturating_add(v),
                        AssignOp::Sub => slot.saturating_sub(v),
                    };
                    *slot = var.clamp(new);
                }
            }
            Stmt::Divert { target } => return Some(*target),
            Stmt::If {
                branches,
                otherwise,
            } => {
                let body = branches
                    .iter()
                    .find(|b| holds(&b.cond, state, sink))
                    .map_or(otherwise.as_slice(), |b| b.body.as_slice());
                if let Some(t) = exec(story, body, state, rated, sink) {
                    return Some(t);
                }
            }
        }
    }
    None
}

/// Whether the condition `cond` holds in `state`, telling `sink` it is a condition.
#[inline]
fn holds<S: Sink>(cond: &Expr, state: &State, sink: &mut S) -> bool {
    sink.test();
    let holds = eval_in(cond, state, sink) != 0;
    sink.tested(cond, state, holds);
    holds
}

/// What an expression reads of a state. The runtime's [`State`] is one; the checker
/// evaluates conditions over its packed states through another, with the same
/// [`eval_in`].
pub trait Env {
    fn var(&self, var: VarId) -> i64;
    /// Whether `node` was entered (known only for a node some `seen()` names).
    fn seen(&self, node: NodeId) -> bool;
    /// The node play is at.
    fn node(&self) -> NodeId;
}

impl Env for State {
    #[inline]
    fn var(&self, var: VarId) -> i64 {
        self.vars[var as usize]
    }

    #[inline]
    fn seen(&self, node: NodeId) -> bool {
        self.has_seen(node)
    }

    #[inline]
    fn node(&self) -> NodeId {
        self.node
    }
}

/// Evaluates an expression in a state. Arithmetic saturates at the 64-bit limits.
pub fn eval(e: &Expr, state: &State) -> i64 {
    eval_in(e, state, &mut ())
}

/// [`eval`] in any [`Env`], telling `sink` each variable and `seen()` mark it reads:
/// the one definition of what an expression means.
pub fn eval_in<E: Env + ?Sized, S: Sink>(e: &Expr, env: &E, sink: &mut S) -> i64 {
    match e {
        Expr::Bin(op, a, b) => {
            let a = operand(a, env, sink);
            match op {
                BinOp::Or => i64::from(a != 0 || operand(b, env, sink) != 0),
                BinOp::And => i64::from(a != 0 && operand(b, env, sink) != 0),
                _ => {
                    let b = operand(b, env, sink);
                    match op {
                        BinOp::Eq => i64::from(a == b),
                        BinOp::Ne => i64::from(a != b),
                        BinOp::Lt => i64::from(a < b),
                        BinOp::Le => i64::from(a <= b),
                        BinOp::Gt => i64::from(a > b),
                        BinOp::Ge => i64::from(a >= b),
                        BinOp::Add => a.saturating_add(b),
                        BinOp::Sub => a.saturating_sub(b),
                        BinOp::Or | BinOp::And => unreachable!("handled above"),
                    }
                }
            }
        }
        Expr::Not(x) => i64::from(operand(x, env, sink) == 0),
        Expr::Neg(x) => operand(x, env, sink).saturating_neg(),
        leaf => operand(leaf, env, sink),
    }
}

/// An operand of an operator: a leaf (a constant or what the state holds) is read
/// here, without a call; anything else is evaluated by [`eval_in`].
#[inline(always)]
fn operand<E: Env + ?Sized, S: Sink>(e: &Expr, env: &E, sink: &mut S) -> i64 {
    match e {
        Expr::Const(c) => *c,
        Expr::Var(v) => {
            sink.read_var(*v);
            env.var(*v)
        }
        Expr::Seen(n) => {
            sink.read_seen(*n);
            i64::from(env.seen(*n))
        }
        Expr::At(n) => i64::from(env.node() == *n),
        Expr::Not(_) | Expr::Neg(_) | Expr::Bin(..) => eval_in(e, env, sink),
    }
}

impl Story {
    /// The text as the trainee reads it in `state`.
    pub fn render(&self, text: &Text, state: &State) -> String {
        let mut s = String::new();
        for p in &text.parts {
            match p {
                TextPart::Lit(l) => s.push_str(l),
                TextPart::Expr { expr, is_bool } => {
                    s.push_str(&format_value(eval(expr, state), *is_bool));
                }
            }
        }
        s
    }

    /// The node with this id, if any.
    pub fn node_index(&self, id: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .map(|i| i as NodeId)
    }
}

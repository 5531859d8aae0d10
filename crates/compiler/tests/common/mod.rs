//! A brute-force model of a story, built with the runtime's `Runner` alone and no part
//! of the checker: every reachable state in a plain hash map, layer by layer, with the
//! lexicographically smallest shortest path to each one chosen by explicit comparison.
//! The integration tests compare the checker's verdicts with it.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use threshold_compiler::{check, CheckOptions, Checked, Code, Limits, Source};
use threshold_runtime::ir::{NodeId, Story};
use threshold_runtime::{Runner, State, Stop};

pub fn sources(name: &str, text: &str) -> Vec<Source> {
    vec![Source {
        name: name.to_string(),
        text: text.to_string(),
    }]
}

/// Checks one file with a state limit.
pub fn check_text(name: &str, text: &str, max_states: usize) -> Checked {
    check(
        &sources(name, text),
        CheckOptions {
            limits: Limits::states(max_states),
            ..CheckOptions::default()
        },
    )
}

/// The nodes some `seen()` names, as a bit mask over node indices.
pub fn seen_mask(story: &Story) -> Vec<u64> {
    let mut out = vec![0u64; story.nodes.len().div_ceil(64)];
    for n in story.seen_nodes() {
        out[n as usize / 64] |= 1 << (n % 64);
    }
    out
}

/// Keeps only the part of a runtime state that the contract's state holds: the
/// entered bits of nodes that no `seen()` names are history, not state.
pub fn normalise(s: &mut State, mask: &[u64]) {
    for (w, m) in s.seen.iter_mut().zip(mask) {
        *w &= m;
    }
}

/// Whether `a` is a better path than `b`: shorter, or as long and lexicographically
/// smaller in choice numbers.
pub fn better(a: &[u32], b: &[u32]) -> bool {
    a.len() < b.len() || (a.len() == b.len() && a < b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    State(usize),
    DivertLoop(NodeId),
}

/// Every reachable state of a story, found with the runtime.
#[derive(Debug)]
pub struct Model {
    pub states: Vec<State>,
    pub stops: Vec<Stop>,
    pub succ: Vec<Vec<Target>>,
    /// Per state: the best path to it, as choice numbers (1-based, among those offered).
    pub best: Vec<Vec<u32>>,
    /// Per node where a divert loop is entered: the best path into such a loop.
    pub loops: BTreeMap<NodeId, Vec<u32>>,
    /// False when exploration stopped at `cap` states.
    pub complete: bool,
    /// The number of each state.
    pub index: HashMap<State, usize>,
}

enum Pending {
    Known(usize),
    New(State),
    Loop(NodeId),
}

impl Model {
    pub fn build(story: &Story, cap: usize) -> Model {
        let mask = seen_mask(story);
        let mut runner = Runner::new(story);
        let mut m = Model {
            states: Vec::new(),
            stops: Vec::new(),
            succ: Vec::new(),
            best: Vec::new(),
            loops: BTreeMap::new(),
            complete: true,
            index: HashMap::new(),
        };
        let (mut s0, stop0) = runner.start(&mut ());
        if let Stop::DivertLoop { node } = stop0 {
            m.loops.insert(node, Vec::new());
            return m;
        }
        normalise(&mut s0, &mask);
        let mut index = std::mem::take(&mut m.index);
        index.insert(s0.clone(), 0);
        m.states.push(s0);
        m.stops.push(stop0);
        m.best.push(Vec::new());
        m.succ.push(Vec::new());
        let mut frontier = vec![0usize];
        let mut avail = Vec::new();
        while !frontier.is_empty() {
            let mut found: HashMap<State, (Stop, Vec<u32>)> = HashMap::new();
            let mut pending: Vec<(usize, Vec<Pending>)> = Vec::new();
            for &s in &frontier {
                if m.stops[s] != Stop::Choice {
                    continue;
                }
                runner.available(&m.states[s], &mut avail);
                assert!(!avail.is_empty(), "a waiting state offers a choice");
                let mut out = Vec::new();
                for (k, &i) in avail.iter().enumerate() {
                    let mut t = m.states[s].clone();
                    let stop = runner.choose(&mut t, i, &mut ());
                    let mut path = m.best[s].clone();
                    path.push(k as u32 + 1);
                    if let Stop::DivertLoop { node } = stop {
                        let slot = m.loops.entry(node).or_insert_with(|| path.clone());
                        if better(&path, slot) {
                            *slot = path;
                        }
                        out.push(Pending::Loop(node));
                        continue;
                    }
                    normalise(&mut t, &mask);
                    if let Some(&id) = index.get(&t) {
                        out.push(Pending::Known(id));
                        continue;
                    }
                    match found.get_mut(&t) {
                        Some((_, p)) => {
                            if better(&path, p) {
                                *p = path;
                            }
                        }
                        None => {
                            found.insert(t.clone(), (stop, path));
                        }
                    }
                    out.push(Pending::New(t));
                }
                pending.push((s, out));
            }
            let mut layer: Vec<(State, Stop, Vec<u32>)> = found
                .into_iter()
                .map(|(s, (stop, p))| (s, stop, p))
                .collect();
            layer.sort_by(|a, b| a.2.cmp(&b.2));
            frontier.clear();
            for (s, stop, p) in layer {
                if m.states.len() >= cap {
                    m.complete = false;
                    m.index = index;
                    return m;
                }
                let id = m.states.len();
                index.insert(s.clone(), id);
                m.states.push(s);
                m.stops.push(stop);
                m.best.push(p);
                m.succ.push(Vec::new());
                frontier.push(id);
            }
            for (s, out) in pending {
                m.succ[s] = out
                    .into_iter()
                    .map(|p| match p {
                        Pending::Known(id) => Target::State(id),
                        Pending::New(t) => Target::State(index[&t]),
                        Pending::Loop(n) => Target::DivertLoop(n),
                    })
                    .collect();
            }
        }
        m.index = index;
        m
    }

    /// Per state: whether some outcome can be reached from it.
    pub fn reaches_outcome(&self) -> Vec<bool> {
        let n = self.states.len();
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (s, out) in self.succ.iter().enumerate() {
            for t in out {
                if let Target::State(t) = t {
                    preds[*t].push(s);
                }
            }
        }
        let mut ok = vec![false; n];
        let mut queue: VecDeque<usize> =
            (0..n).filter(|&s| self.stops[s] == Stop::Outcome).collect();
        for &s in &queue {
            ok[s] = true;
        }
        while let Some(s) = queue.pop_front() {
            for &p in &preds[s] {
                if !ok[p] {
                    ok[p] = true;
                    queue.push_back(p);
                }
            }
        }
        ok
    }

    /// Per node with a dead-end state: the best path to one.
    pub fn dead_ends(&self) -> BTreeMap<NodeId, Vec<u32>> {
        let mut out: BTreeMap<NodeId, Vec<u32>> = BTreeMap::new();
        for (s, stop) in self.stops.iter().enumerate() {
            if *stop == Stop::DeadEnd {
                let node = self.states[s].node;
                let p = &self.best[s];
                if out.get(&node).is_none_or(|q| better(p, q)) {
                    out.insert(node, p.clone());
                }
            }
        }
        out
    }

    /// Strongly connected components (Kosaraju, iterative): the component of each state.
    pub fn components(&self) -> Vec<usize> {
        let n = self.states.len();
        let succ: Vec<Vec<usize>> = self
            .succ
            .iter()
            .map(|o| {
                o.iter()
                    .filter_map(|t| match t {
                        Target::State(t) => Some(*t),
                        Target::DivertLoop(_) => None,
                    })
                    .collect()
            })
            .collect();
        let mut order = Vec::with_capacity(n);
        let mut visited = vec![false; n];
        for root in 0..n {
            if visited[root] {
                continue;
            }
            visited[root] = true;
            let mut stack = vec![(root, 0usize)];
            while let Some((v, i)) = stack.pop() {
                if i < succ[v].len() {
                    stack.push((v, i + 1));
                    let t = succ[v][i];
                    if !visited[t] {
                        visited[t] = true;
                        stack.push((t, 0));
                    }
                } else {
                    order.push(v);
                }
            }
        }
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (s, o) in succ.iter().enumerate() {
            for &t in o {
                preds[t].push(s);
            }
        }
        let mut comp = vec![usize::MAX; n];
        let mut c = 0;
        for &root in order.iter().rev() {
            if comp[root] != usize::MAX {
                continue;
            }
            comp[root] = c;
            let mut stack = vec![root];
            while let Some(v) = stack.pop() {
                for &p in &preds[v] {
                    if comp[p] == usize::MAX {
                        comp[p] = c;
                        stack.push(p);
                    }
                }
            }
            c += 1;
        }
        comp
    }

    /// Per node where a closed loop with no way out is first entered (a closed
    /// component of waiting states, or a divert loop): the best path into it.
    pub fn no_outcome(&self) -> BTreeMap<NodeId, Vec<u32>> {
        let comp = self.components();
        let count = comp.iter().copied().max().map_or(0, |m| m + 1);
        let mut closed = vec![true; count];
        let mut waiting = vec![false; count];
        let mut entry: Vec<Option<usize>> = vec![None; count];
        for s in 0..self.states.len() {
            let c = comp[s];
            if self.stops[s] == Stop::Choice {
                waiting[c] = true;
            }
            for t in &self.succ[s] {
                match t {
                    Target::State(t) if comp[*t] == c => {}
                    _ => closed[c] = false,
                }
            }
            if entry[c].is_none_or(|e| better(&self.best[s], &self.best[e])) {
                entry[c] = Some(s);
            }
        }
        let mut out = self.loops.clone();
        for c in 0..count {
            if !(closed[c] && waiting[c]) {
                continue;
            }
            let s = entry[c].expect("a component has a member");
            let node = self.states[s].node;
            let p = &self.best[s];
            if out.get(&node).is_none_or(|q| better(p, q)) {
                out.insert(node, p.clone());
            }
        }
        out
    }
}

/// The choice texts, as rendered, of a path given in choice numbers.
pub fn texts(story: &Story, path: &[u32]) -> Vec<String> {
    let mut runner = Runner::new(story);
    let (mut s, _) = runner.start(&mut ());
    let mut avail = Vec::new();
    let mut out = Vec::new();
    for &k in path {
        runner.available(&s, &mut avail);
        let i = avail[k as usize - 1];
        let choice = &story.nodes[s.node as usize].choices[i];
        out.push(story.render(&choice.text, &s));
        runner.choose(&mut s, i, &mut ());
    }
    out
}

/// Plays a path given as choice texts, choosing at each step the one available choice
/// whose rendered text is that text. Returns where play stands and why it stopped.
pub fn replay(story: &Story, path: &[String]) -> (State, Stop) {
    let mut runner = Runner::new(story);
    let (mut s, mut stop) = runner.start(&mut ());
    let mut avail = Vec::new();
    for (step, text) in path.iter().enumerate() {
        assert_eq!(
            stop,
            Stop::Choice,
            "step {step}: play is not waiting for a choice"
        );
        runner.available(&s, &mut avail);
        let matching: Vec<usize> = avail
            .iter()
            .copied()
            .filter(|&i| story.render(&story.nodes[s.node as usize].choices[i].text, &s) == *text)
            .collect();
        assert_eq!(
            matching.len(),
            1,
            "step {step}: `{text}` is not offered exactly once"
        );
        stop = runner.choose(&mut s, matching[0], &mut ());
    }
    (s, stop)
}

/// Whether some outcome can be reached from a waiting state, exploring with the runtime.
pub fn can_reach_outcome(story: &Story, from: &State) -> bool {
    let mask = seen_mask(story);
    let mut runner = Runner::new(story);
    let mut start = from.clone();
    normalise(&mut start, &mask);
    let mut seen: HashSet<State> = HashSet::new();
    seen.insert(start.clone());
    let mut queue = VecDeque::from([start]);
    let mut avail = Vec::new();
    while let Some(s) = queue.pop_front() {
        runner.available(&s, &mut avail);
        for &i in &avail {
            let mut t = s.clone();
            match runner.choose(&mut t, i, &mut ()) {
                Stop::Outcome => return true,
                Stop::Choice => {
                    normalise(&mut t, &mask);
                    if seen.insert(t.clone()) {
                        queue.push_back(t);
                    }
                }
                Stop::DeadEnd | Stop::DivertLoop { .. } | Stop::DivertLimit { .. } => {}
            }
        }
    }
    false
}

/// The checker's soundness errors of one code: node id and path.
pub fn reported(checked: &Checked, code: Code) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for d in &checked.diagnostics {
        if d.code == code {
            let node = d
                .node
                .clone()
                .expect("a soundness diagnostic names its node");
            let path = d.path.clone().expect("a soundness diagnostic has a path");
            assert!(
                out.insert(node.clone(), path).is_none(),
                "{code:?} reported twice at `{node}`"
            );
        }
    }
    out
}

/// The model's verdict, keyed and rendered like the checker's.
pub fn expected(
    story: &Story,
    by_node: &BTreeMap<NodeId, Vec<u32>>,
) -> BTreeMap<String, Vec<String>> {
    by_node
        .iter()
        .map(|(n, p)| (story.nodes[*n as usize].id.clone(), texts(story, p)))
        .collect()
}

/// Asserts that the checker's explored graph is the model's: the same states, the same
/// edges in choice order, and the same strongly connected components, closed and
/// outcome-reaching exactly where the model's are.
pub fn assert_graph_matches(
    name: &str,
    story: &Story,
    graph: &threshold_compiler::Graph,
    model: &Model,
) {
    use threshold_compiler::explore::Kind;
    let runner = Runner::new(story);
    let mut s = runner.initial_state();
    // The model's number of each graph entry (`None` for divert-loop markers).
    let mut to_model: Vec<Option<usize>> = Vec::with_capacity(graph.len());
    for i in 0..graph.len() as u32 {
        if graph.kinds[i as usize] == Kind::DivertLoop {
            to_model.push(None);
            continue;
        }
        graph.state_into(i, &mut s);
        let m = *model
            .index
            .get(&s)
            .unwrap_or_else(|| panic!("{name}: graph state {i} is not reachable"));
        let stop = match graph.kinds[i as usize] {
            Kind::Waiting => Stop::Choice,
            Kind::Outcome => Stop::Outcome,
            Kind::DeadEnd => Stop::DeadEnd,
            Kind::DivertLoop => unreachable!(),
        };
        assert_eq!(model.stops[m], stop, "{name}: kind of state {i}");
        assert_eq!(
            graph.node(i),
            model.states[m].node,
            "{name}: node of state {i}"
        );
        to_model.push(Some(m));
    }
    let mut seen_model = vec![false; model.states.len()];
    for m in to_model.iter().flatten() {
        assert!(
            !std::mem::replace(&mut seen_model[*m], true),
            "{name}: a state twice"
        );
    }
    for i in 0..graph.len() as u32 {
        let succ: Vec<(u32, u32)> = graph.successors(i).collect();
        let Some(m) = to_model[i as usize] else {
            assert!(
                succ.is_empty(),
                "{name}: a divert-loop marker has successors"
            );
            continue;
        };
        graph.state_into(i, &mut s);
        assert_eq!(
            succ.len(),
            model.succ[m].len(),
            "{name}: out-degree of state {i}"
        );
        let mut last = None;
        for ((t, ci), expected) in succ.iter().zip(&model.succ[m]) {
            assert!(last < Some(*ci), "{name}: choices in source order");
            last = Some(*ci);
            assert!(
                runner.is_available(&s, *ci as usize),
                "{name}: an edge by a choice not offered"
            );
            match (to_model[*t as usize], expected) {
                (Some(tm), Target::State(em)) => assert_eq!(tm, *em, "{name}: edge target"),
                (None, Target::DivertLoop(n)) => {
                    assert_eq!(graph.node(*t), *n, "{name}: divert-loop node")
                }
                other => panic!("{name}: edge {other:?}"),
            }
        }
    }
    let comps = graph.components();
    let model_comp = model.components();
    let reaches = model.reaches_outcome();
    let mut pairing: HashMap<u32, usize> = HashMap::new();
    let mut back: HashMap<usize, u32> = HashMap::new();
    for (i, &m) in to_model.iter().enumerate() {
        let c = comps.comp[i];
        for (t, _) in graph.successors(i as u32) {
            assert!(
                comps.comp[t as usize] <= c,
                "{name}: components out of order"
            );
        }
        let Some(m) = m else {
            assert!(
                comps.closed[c as usize],
                "{name}: a marker's component is closed"
            );
            assert!(
                !comps.cyclic[c as usize],
                "{name}: a marker's component is no cycle"
            );
            assert!(
                !comps.reaches_outcome[c as usize],
                "{name}: a marker reaches an outcome"
            );
            continue;
        };
        let mc = model_comp[m];
        assert_eq!(
            *pairing.entry(c).or_insert(mc),
            mc,
            "{name}: a component split"
        );
        assert_eq!(*back.entry(mc).or_insert(c), c, "{name}: components merged");
        assert_eq!(
            comps.reaches_outcome[c as usize], reaches[m],
            "{name}: reaches, state {i}"
        );
    }
    for (&c, &mc) in &pairing {
        let members: Vec<usize> = (0..model.states.len())
            .filter(|&m| model_comp[m] == mc)
            .collect();
        let leaves = members.iter().any(|&m| {
            model.succ[m].iter().any(|t| match t {
                Target::State(t) => model_comp[*t] != mc,
                Target::DivertLoop(_) => true,
            })
        });
        assert_eq!(comps.closed[c as usize], !leaves, "{name}: closed");
        let self_loop = members
            .iter()
            .any(|&m| model.succ[m].contains(&Target::State(m)));
        assert_eq!(
            comps.cyclic[c as usize],
            members.len() > 1 || self_loop,
            "{name}: cyclic"
        );
    }
}

/// Asserts that the checker's `dead-end` and `no-outcome` errors are exactly the
/// model's, with the same paths, and that each path, replayed, reaches what it names.
pub fn assert_agrees(name: &str, checked: &Checked, model: &Model) {
    let story = checked.lowered.story.as_ref().expect("the story compiles");
    assert!(model.complete, "{name}: the model is incomplete");
    assert!(
        !checked.graph.as_ref().is_some_and(|g| g.limited()),
        "{name}: the checker stopped at its state limit"
    );
    assert_eq!(
        checked.stats.states,
        model.states.len(),
        "{name}: state count"
    );
    if let Some(graph) = &checked.graph {
        assert_graph_matches(name, story, graph, model);
    }

    let dead = reported(checked, Code::DeadEnd);
    assert_eq!(
        dead,
        expected(story, &model.dead_ends()),
        "{name}: dead-end"
    );
    for (node, path) in &dead {
        let (s, stop) = replay(story, path);
        assert_eq!(
            stop,
            Stop::DeadEnd,
            "{name}: replaying the dead-end path to `{node}`"
        );
        assert_eq!(
            &story.nodes[s.node as usize].id, node,
            "{name}: dead-end node"
        );
    }

    let loops = reported(checked, Code::NoOutcome);
    assert_eq!(
        loops,
        expected(story, &model.no_outcome()),
        "{name}: no-outcome"
    );
    for (node, path) in &loops {
        let (s, stop) = replay(story, path);
        match stop {
            Stop::DivertLoop { node: n } => {
                assert_eq!(
                    &story.nodes[n as usize].id, node,
                    "{name}: divert-loop node"
                )
            }
            Stop::Choice => {
                assert_eq!(&story.nodes[s.node as usize].id, node, "{name}: loop node");
                assert!(
                    !can_reach_outcome(story, &s),
                    "{name}: `{node}` can still reach an outcome"
                );
            }
            other => panic!("{name}: the no-outcome path to `{node}` stops with {other:?}"),
        }
    }
}

//! Node headers: `scene` and `outcome` lines, each of which finishes the node before
//! it and starts a new one (under a placeholder when the header is broken).

use super::frames::{Frame, NodeBuilder};
use super::lines::{starts_with_word, Line};
use super::Reader;
use crate::ast::{Ident, Node, NodeKind, Rating, Span, StrLit};
use crate::build::{self, Ctx};
use crate::parser::Rule;

impl<'s> Reader<'s> {
    pub(super) fn header(&mut self, line: Line<'s>) {
        self.finish_node();
        let l = line.without_comment();
        // Decided on the whole line: `scene // note` is a scene header without its
        // name, and the comment leaves only `scene`.
        let is_scene = starts_with_word(line.text, "scene");
        let rule = if is_scene {
            Rule::scene_line
        } else {
            Rule::outcome_line
        };
        let mut broken = false;
        let (id, kind) = match crate::fast::header(l.text, l.start) {
            Some(read) => read,
            None => match build::parse_rule(rule, l.text, l.start) {
                Ok(pair) => {
                    let mut ctx = Ctx {
                        off: l.start,
                        errors: &mut self.errors,
                    };
                    if is_scene {
                        build::build_scene_line(pair, &mut ctx)
                    } else {
                        build::build_outcome_line(pair, &mut ctx)
                    }
                }
                Err(mut err) => {
                    if !is_scene {
                        err.help.get_or_insert_with(|| {
                        "an outcome header is `outcome ID RATING \"Title\"`, with RATING `good`, `mixed` or `bad`"
                            .into()
                    });
                    } else {
                        err.help.get_or_insert_with(|| {
                            "a scene header is `scene ID` or `scene ID \"Title\"`; \
                         prose that starts with \"scene\" needs a leading `\\`"
                                .into()
                        });
                    }
                    self.errors.push(err);
                    broken = true;
                    // Keep reading the body under a placeholder so its lines are still checked.
                    let word = l.after(if is_scene { 5 } else { 7 });
                    let name: String = word
                        .text
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let id = Ident {
                        span: Span::new(word.start, word.start + name.len()),
                        name,
                    };
                    let kind = if is_scene {
                        NodeKind::Scene { title: None }
                    } else {
                        NodeKind::Outcome {
                            rating: Rating::Mixed,
                            title: StrLit {
                                value: String::new(),
                                span: l.span(),
                            },
                        }
                    };
                    (id, kind)
                }
            },
        };
        self.node = Some(NodeBuilder {
            node: Node {
                id,
                kind,
                header_span: l.span(),
                body: Vec::new(),
                choices: Vec::new(),
                broken,
            },
            frames: vec![Frame::Base(Vec::new())],
            choice: None,
            skipping: false,
            overflow: 0,
        });
    }

    pub(super) fn finish_node(&mut self) {
        let Some(mut nb) = self.node.take() else {
            return;
        };
        self.close_ifs(&mut nb, true);
        let block = nb.take_base();
        if let Some(mut choice) = nb.choice.take() {
            choice.body = block;
            nb.node.choices.push(choice);
        } else {
            nb.node.body = block;
        }
        self.file.nodes.push(nb.node);
    }
}

#!/usr/bin/env python3
"""The folder dependency graph of descent's library code, and the rules it must keep.

A folder is include/descent/NAME or src/NAME; folder A depends on B when a file of A includes
"descent/B/...". The rules (DESIGN.md, "Shape of the code"):
  - no cycle among folders;
  - the layers below the orchestration (train, models, optim, schedule, diag, batch, data, comm,
    core, icl, attack, saliency, halfspace, two_sample, matching, kernels, ode, smc, vi, pde, linsolve) include nothing from study/, store/, report/ or tune/;
  - descent::optim's folders (optim, schedule, core) include only each other.
  - the training loop, train() in src/train/trainer.cpp, stays short enough to read (80 lines).

  tools/deps.py            prints the graph
  tools/deps.py --check    also checks the rules; exit 1 naming each violation
"""
import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r'#include\s+"descent/([a-z_]+)/')
LAB = {"study", "store", "report", "tune"}
BELOW_LAB = {"train", "models", "optim", "schedule", "diag", "batch", "data", "comm", "core", "problems", "icl", "attack", "saliency", "halfspace", "two_sample", "matching", "kernels", "ode", "smc", "vi", "pde", "linsolve", "rl"}
OPTIM = {"optim", "schedule", "core"}
LOOP_LINES = 80


def folder_of(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).parts
    return parts[2] if parts[0] == "include" else parts[1]


def graph() -> dict:
    edges: dict = {}
    files = list((ROOT / "include" / "descent").rglob("*.hpp")) + list((ROOT / "src").rglob("*.[ch]pp"))
    for path in files:
        if len(path.relative_to(ROOT).parts) < 3:
            continue  # umbrella headers at include/descent/*.hpp
        source = folder_of(path)
        for target in INCLUDE.findall(path.read_text()):
            if target != source:
                edges.setdefault(source, {}).setdefault(target, []).append(str(path.relative_to(ROOT)))
    return edges


def cycles(edges: dict) -> list:
    """Strongly connected components with more than one folder (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(set(edges) | {t for targets in edges.values() for t in targets}):
        if node not in index:
            visit(node)
    return found


def training_loop_lines() -> int:
    text = (ROOT / "src" / "train" / "trainer.cpp").read_text().splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("RunResult train("))
    end = next(i for i in range(start, len(text)) if text[i] == "}")
    return end - start + 1


def violations(edges: dict) -> list:
    problems = []
    for component in cycles(edges):
        problems.append("folder cycle: " + " <-> ".join(component))
    for source, targets in sorted(edges.items()):
        for target, files in sorted(targets.items()):
            if source in BELOW_LAB and target in LAB:
                problems.append(f"{source}/ includes {target}/ (in {files[0]})")
            if source in OPTIM and target not in OPTIM:
                problems.append(f"descent::optim's {source}/ includes {target}/ (in {files[0]})")
    lines = training_loop_lines()
    if lines > LOOP_LINES:
        problems.append(f"train() in src/train/trainer.cpp is {lines} lines (at most {LOOP_LINES})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="check the rules; exit 1 on a violation")
    args = parser.parse_args()
    edges = graph()
    for source in sorted(edges):
        print(f"{source:9} -> {', '.join(sorted(edges[source]))}")
    print(f"train(): {training_loop_lines()} lines")
    if not args.check:
        return 0
    problems = violations(edges)
    for problem in problems:
        print("violation:", problem, file=sys.stderr)
    print(f"deps: {len(problems)} violations")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

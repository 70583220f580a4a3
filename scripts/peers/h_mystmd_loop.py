"""Workload h: the authoring loop, skelreport side by side with mystmd (issue 20), in one run.

The 3-page, 12-figure kernel report of the issue, written twice: as skelreport reports (four
directives a page) and as a mystmd project (four python code cells a page, numpy + matplotlib,
executed through Jupyter). Per page: the normalized duals of relu, step and exp; the iterated
ReLU dual for L = 1, 2, 4, 8, 16; the 500 x 500 NNGP Gram matrix of a depth-10 ReLU MLP
(W_std = sqrt 2, no bias) on N = 500 standard Gaussian points in R^50 as a heat map; the ReLU
angle map theta^(L) against theta^0. The pages differ in their grids and seeds so that no
result is shared between them.

Timed, each tool the same way, interleaved in one run (wall clock, median of --repeats):
  cold   caches and output removed, one build
  warm   the same build again, nothing changed
  prose  one paragraph of page 1 edited (alternating between two texts), one build
  param  the Gram's depth on page 1 changed (10 -> 9 -> 8 ...: a value neither tool has cached), one build
  preview (skelreport only): `skelreport preview --port 0` running; a prose edit saved as
         editors do (a new file renamed over the old), time until `event: reload` arrives on
         the page's event stream, and until the edited page has been fetched again.

mystmd: `myst build --site --execute` (mystmd 1.11 from PyPI, run by the system node), against
one Jupyter server (jupyter-server + ipykernel in the same venv) started by this script before
anything is timed and passed as JUPYTER_BASE_URL/JUPYTER_TOKEN: mystmd's own server start (which
gave up after 20 s on a loaded machine) is not in its times. Offline,
mystmd cannot fetch its site theme (book-theme, from its template API), so the build ends after
"Built N pages" with an error at the template query: the times below are mystmd's parse,
execution, figure and content build without its HTML render, i.e. a lower bound on what
`myst build --html` takes. The script checks that every page was built and every figure made.

python3 scripts/peers/h_mystmd_loop.py [--skelreport .build/release/skelreport]
    [--myst $HOME/.cache/mystmd-venv/bin/myst] [--repeats 3] [--work DIR] [--skip-myst]
Prints one JSON line per measurement and a Markdown table at the end.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PAGES = 3
PROSE_A = "The first paragraph of this page says what the four figures show."
PROSE_B = "An edited first paragraph: the four figures, once more, in other words."


def sk_page(k):
    n = 400 + k  # grids differ per page, so no directive is shared between pages
    return f"""---
title: Kernels, page {k}
order: {k}
---

# Kernels, page {k}

{PROSE_A}

The figures: @fig-duals, @fig-depth, @fig-gram and @fig-angle.

```{{kernel}} dual
:label: fig-duals
:activations: [relu, step, exp]
:rho: linspace(-1, 1, {n})
:formats: [svg, png]
:alt: normalized duals of relu, step and exp

Normalized duals of three activations.
```

```{{kernel}} depth
:label: fig-depth
:activation: relu
:depths: [1, 2, 4, 8, 16]
:rho: linspace(-1, 1, {n})
:formats: [svg, png]
:alt: the iterated ReLU dual

The iterated ReLU dual for five depths.
```

```{{kernel}} gram
:label: fig-gram
:inputs: gaussian(n=500, d=50)
:network: [repeat(10, [dense(w_std=1.4142135623730951), relu]), dense(w_std=1.4142135623730951)]
:seed: {k}
:formats: [svg, png]
:alt: the NNGP Gram matrix of a depth-10 ReLU network

NNGP Gram matrix of a depth-10 ReLU MLP on 500 Gaussian points in R^50.
```

```{{kernel}} depth
:label: fig-angle
:activation: relu
:depths: [1, 2, 4, 8, 16]
:axis: angle
:theta: linspace(0, pi, {100 + k})
:formats: [svg, png]
:alt: the ReLU angle map

The ReLU angle map.
```
"""


MYST_HELPERS = """import numpy as np
import matplotlib.pyplot as plt

def relu_dual(r):
    r = np.clip(r, -1.0, 1.0)
    return (np.sqrt(1 - r * r) + (np.pi - np.arccos(r)) * r) / np.pi

def step_dual(r):
    return (np.pi - np.arccos(np.clip(r, -1.0, 1.0))) / np.pi

def exp_dual(r):
    return np.exp(r - 1.0)

def nngp_relu(x, depth, w_var=2.0):
    k = w_var * (x @ x.T) / x.shape[1]
    for _ in range(depth):
        d = np.sqrt(np.diag(k))
        c = np.clip(k / np.outer(d, d), -1.0, 1.0)
        k = w_var * np.outer(d, d) * (np.sqrt(1 - c * c) + (np.pi - np.arccos(c)) * c) / (2 * np.pi)
    return k
"""


def myst_page(k, depth=10):
    n = 400 + k
    return f"""---
title: Kernels, page {k}
kernelspec:
  name: python3
  display_name: Python 3
---

# Kernels, page {k}

{PROSE_A}

```{{code-cell}} python
:tags: [remove-input]
{MYST_HELPERS}```

```{{code-cell}} python
:tags: [remove-input]
#| label: fig-duals-{k}
rho = np.linspace(-1, 1, {n})
fig, ax = plt.subplots(figsize=(5, 3.4))
for name, f in [("relu", relu_dual), ("step", step_dual), ("exp", exp_dual)]:
    ax.plot(rho, f(rho), label=name)
ax.set_xlabel("rho"); ax.legend()
plt.show()
```

```{{code-cell}} python
:tags: [remove-input]
#| label: fig-depth-{k}
fig, ax = plt.subplots(figsize=(5, 3.4))
for L in [1, 2, 4, 8, 16]:
    y = rho.copy()
    for _ in range(L):
        y = relu_dual(y)
    ax.plot(rho, y, label=f"L={{L}}")
ax.set_xlabel("rho"); ax.legend()
plt.show()
```

```{{code-cell}} python
:tags: [remove-input]
#| label: fig-gram-{k}
x = np.random.default_rng({k}).standard_normal((500, 50))
depth = {depth}
K = nngp_relu(x, depth)
fig, ax = plt.subplots(figsize=(5, 4.2))
im = ax.imshow(K, cmap="viridis"); fig.colorbar(im)
plt.show()
```

```{{code-cell}} python
:tags: [remove-input]
#| label: fig-angle-{k}
theta = np.linspace(0, np.pi, {100 + k})
fig, ax = plt.subplots(figsize=(5, 3.4))
for L in [1, 2, 4, 8, 16]:
    c = np.cos(theta)
    for _ in range(L):
        c = relu_dual(c)
    ax.plot(theta, np.arccos(np.clip(c, -1, 1)), label=f"L={{L}}")
ax.set_xlabel("theta0"); ax.legend()
plt.show()
```
"""


def write(path, text):
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # as editors save


class Tool:
    def __init__(self, root):
        self.root = root
        self.prose_state = False
        self.param_state = 0


class Skel(Tool):
    name = "skelreport"

    def __init__(self, root, binary):
        super().__init__(root)
        self.binary = binary
        os.makedirs(os.path.join(root, "reports"), exist_ok=True)
        for k in range(1, PAGES + 1):
            write(self.page(k), sk_page(k))

    def page(self, k):
        return os.path.join(self.root, "reports", f"kernels-{k}.md")

    def build(self):
        t0 = time.perf_counter()
        r = subprocess.run([self.binary, "build", "reports", "--out", "_site", "--quiet"], cwd=self.root, capture_output=True, text=True)
        t = time.perf_counter() - t0
        if r.returncode != 0:
            raise SystemExit(f"skelreport build failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return t, r.stdout.strip().splitlines()[-1:] if r.stdout.strip() else []

    def clean(self):
        for d in ("_site", ".skelcache"):
            shutil.rmtree(os.path.join(self.root, d), ignore_errors=True)

    def check(self):
        figs = [f for f in os.listdir(os.path.join(self.root, "_site", "kernels-1")) if f.endswith(".png") and not f.endswith("-dark.png")]
        return {"pages": sum(os.path.isdir(os.path.join(self.root, "_site", f"kernels-{k}")) for k in range(1, PAGES + 1)), "png_page1": len(figs)}

    def prose(self):
        self.prose_state = not self.prose_state
        text = sk_page(1).replace("repeat(10,", f"repeat({10 - self.param_state},")
        if self.prose_state:
            text = text.replace(PROSE_A, PROSE_B)
        write(self.page(1), text)

    def param(self):
        self.param_state += 1  # a new depth each edit (10 -> 9 -> 8 ...): never a cached one
        text = sk_page(1).replace("repeat(10,", f"repeat({10 - self.param_state},")
        if self.prose_state:
            text = text.replace(PROSE_A, PROSE_B)
        write(self.page(1), text)


class Myst(Tool):
    name = "mystmd"

    def __init__(self, root, binary):
        super().__init__(root)
        self.binary = binary
        self.reported = []  # mystmd's own "Built 3 pages for project in X s" of each build
        os.makedirs(root, exist_ok=True)
        toc = "\n".join(f"    - file: kernels-{k}.md" for k in range(1, PAGES + 1))
        write(os.path.join(root, "myst.yml"), f"version: 1\nproject:\n  title: Kernels\n  toc:\n{toc}\nsite:\n  template: book-theme\n")
        for k in range(1, PAGES + 1):
            write(self.page(k), myst_page(k))

    def page(self, k):
        return os.path.join(self.root, f"kernels-{k}.md")

    def start_jupyter(self):
        """One Jupyter server for every build (untimed); its URL and token go to myst."""
        bindir = os.path.dirname(self.binary)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.token = "h-loop-" + str(os.getpid())
        self.url = f"http://127.0.0.1:{port}/"
        self.jupyter = subprocess.Popen(
            [os.path.join(bindir, "jupyter"), "server", "--no-browser", "--allow-root", "--ip", "127.0.0.1", f"--port={port}", f"--IdentityProvider.token={self.token}", "--ServerApp.root_dir=" + self.root],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if "200" in http_get(port, f"/api/status?token={self.token}").split("\r\n", 1)[0]:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("the Jupyter server did not start within 300 s")

    def stop_jupyter(self):
        self.jupyter.send_signal(signal.SIGINT)
        try:
            self.jupyter.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.jupyter.kill()

    def build(self):
        env = dict(os.environ)
        env["PATH"] = os.path.dirname(self.binary) + os.pathsep + env.get("PATH", "")
        env["JUPYTER_BASE_URL"] = self.url
        env["JUPYTER_TOKEN"] = self.token
        t0 = time.perf_counter()
        r = subprocess.run([self.binary, "build", "--site", "--execute"], cwd=self.root, capture_output=True, text=True, env=env)
        t = time.perf_counter() - t0
        out = r.stdout + r.stderr
        m = re.search(r"Built (\d+) pages? for project in ([\d.]+) (ms|s)\b", out)
        if not m or int(m.group(1)) != PAGES:
            raise SystemExit(f"myst build did not build {PAGES} pages ({r.returncode}):\n{out}")
        if re.search(r"(?i)(⛔|error).*(execut|kernel|traceback|jupyter)", out):
            raise SystemExit(f"myst build reported an execution error:\n{out}")
        self.reported.append(float(m.group(2)) / (1000 if m.group(3) == "ms" else 1))
        return t, [l for l in out.splitlines() if "Built" in l][-1:]

    def clean(self):
        shutil.rmtree(os.path.join(self.root, "_build"), ignore_errors=True)

    def check(self):
        """Pages built, and PNG figures in the executed notebooks (mystmd's execution cache)."""
        content = os.path.join(self.root, "_build", "site", "content")
        pages = [f for f in os.listdir(content) if f.endswith(".json")]
        images = 0
        cache = os.path.join(self.root, "_build", "execute")
        for f in os.listdir(cache):
            if f.endswith(".ipynb"):
                with open(os.path.join(cache, f)) as h:
                    nb = json.load(h)
                images += sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))
        return {"pages": len(pages), "png_outputs": images}

    def prose(self):
        self.prose_state = not self.prose_state
        text = myst_page(1, depth=10 - self.param_state)
        if self.prose_state:
            text = text.replace(PROSE_A, PROSE_B)
        write(self.page(1), text)

    def param(self):
        self.param_state += 1  # a new depth each edit: never in mystmd's execution cache
        text = myst_page(1, depth=10 - self.param_state)
        if self.prose_state:
            text = text.replace(PROSE_A, PROSE_B)
        write(self.page(1), text)


def preview_reload(skel, repeats):
    """save -> `event: reload` and save -> page fetched, in seconds, one pair per save."""
    p = subprocess.Popen([skel.binary, "preview", "reports", "--port", "0"], cwd=skel.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 300
        while time.time() < deadline:
            line = p.stdout.readline()
            if not line:
                raise SystemExit("skelreport preview ended: " + p.stderr.read())
            m = re.match(r"serving http://127\.0\.0\.1:(\d+)/", line)
            if m:
                port = int(m.group(1))
            if line.startswith("watching "):
                break
        events = socket.create_connection(("127.0.0.1", port), timeout=30)
        events.sendall(b"GET /__skelreport/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        buf = b""
        while b": skelreport preview" not in buf:
            buf += events.recv(65536)
        buf = b""
        out = []
        for _ in range(repeats):
            time.sleep(0.3)
            t0 = time.perf_counter()
            skel.prose()
            while b"event: reload\ndata: " not in buf or not buf.split(b"event: reload\ndata: ", 1)[1].count(b"\n"):
                buf += events.recv(65536)
            t_event = time.perf_counter() - t0
            data = buf.split(b"event: reload\ndata: ", 1)[1].split(b"\n", 1)[0]
            buf = b""
            page = http_get(port, "/kernels-1/")
            t_page = time.perf_counter() - t0
            want = PROSE_B if skel.prose_state else PROSE_A
            if want not in page:
                raise SystemExit("the reloaded page does not hold the edit")
            event = json.loads(data)
            if event.get("error") is not None or event.get("recomputed") != []:
                raise SystemExit(f"unexpected reload event {event}")
            out.append((t_event, t_page, event.get("ms")))
        events.close()
        return out
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


def http_get(port, path):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode("utf-8", "replace")


def emit(tool, what, times, extra=None):
    row = {"workload": "h_loop", "tool": tool, "what": what, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "n": len(times)}
    row.update(extra or {})
    print(json.dumps(row), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skelreport", default=os.path.join(os.getcwd(), ".build", "release", "skelreport"))
    ap.add_argument("--myst", default=os.path.expanduser("~/.cache/mystmd-venv/bin/myst"))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cold-repeats", type=int, default=2)
    ap.add_argument("--work", default="")
    ap.add_argument("--skip-myst", action="store_true")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="h-loop-")
    skel = Skel(os.path.join(work, "skel"), os.path.abspath(a.skelreport))
    tools = [skel]
    if not a.skip_myst:
        tools.append(Myst(os.path.join(work, "myst"), a.myst))
    rows = {}
    if not a.skip_myst:
        tools[1].start_jupyter()
    try:
        measure(tools, rows, a)
    finally:
        if not a.skip_myst:
            tools[1].stop_jupyter()
    main_tail(skel, rows, a, work)


def measure(tools, rows, a):
    for what in ("cold", "warm", "prose", "param"):
        times = {t.name: [] for t in tools}
        reps = a.cold_repeats if what == "cold" else a.repeats
        for _ in range(reps):
            for t in tools:  # interleaved: ours, theirs, ours, theirs
                if what == "cold":
                    t.clean()
                elif what == "prose":
                    t.prose()
                elif what == "param":
                    t.param()
                s, _ = t.build()
                times[t.name].append(s)
        for t in tools:
            extra = {"check": t.check()}
            if isinstance(t, Myst):
                extra["myst_reported_s"] = t.reported[-reps:]
                extra["myst_reported_median_s"] = statistics.median(t.reported[-reps:])
            rows[(t.name, what)] = emit(t.name, what, times[t.name], extra)


def main_tail(skel, rows, a, work):
    reload = preview_reload(skel, a.repeats)
    rows[("skelreport", "preview-event")] = emit("skelreport", "preview prose save->reload event", [r[0] for r in reload])
    rows[("skelreport", "preview-page")] = emit("skelreport", "preview prose save->page fetched", [r[1] for r in reload], {"build_ms": [r[2] for r in reload]})
    targets = {"cold": None, "warm": 0.050, "prose": 0.100, "param": 0.300}
    print("\n| step | skelreport (s) | mystmd process (s) | mystmd's own 'Built' time (s) | ratio to the smaller | target |")
    print("|---|---|---|---|---|---|")
    for what in ("cold", "warm", "prose", "param"):
        ours = rows[("skelreport", what)]["median_s"]
        row = rows.get(("mystmd", what), {})
        theirs, own = row.get("median_s"), row.get("myst_reported_median_s")
        ratio = f"{ours / min(theirs, own):.3f}" if theirs else ""
        target = "<= 1/20 of mystmd" if what == "cold" else f"<= {targets[what] * 1000:.0f} ms"
        print(f"| {what} | {ours:.3f} | {'' if theirs is None else f'{theirs:.2f}'} | {'' if own is None else f'{own:.2f}'} | {ratio} | {target} |")
    for key in ("preview-event", "preview-page"):
        r = rows[("skelreport", key)]
        print(f"| {r['what']} | {r['median_s']:.3f} | | | | <= 150 ms |")
    print(f"\nwork folder: {work}")


if __name__ == "__main__":
    main()

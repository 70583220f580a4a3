import ArgumentParser
import Foundation
import SkelBuild

/// `skelreport init [DIR]`: a new project that builds as it is, with the built-in templates.
struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Start a project: reports/example.md, reports/refs.bib and a README.md (uses the built-in templates).")

  @Argument(help: "The project folder (created if missing; refused if it already has reports/).")
  var directory: String = "."

  func run() throws {
    let dir = URL(fileURLWithPath: directory)
    let fm = FileManager.default
    let planned = NewProject.files.map { (dir.appendingPathComponent($0.path), $0.text) }
    // Nothing is written unless every file can be new: a folder with reports/ (a project), or
    // with any file init would write, is refused (exit 2) and left as it is.
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
      var err = StandardError()
      print("error: refusing to initialize \(directory): it is an existing file, not a folder; nothing was written", to: &err)
      throw ExitCode(2)
    }
    let existing = (["reports"] + NewProject.files.map(\.path)).filter { fm.fileExists(atPath: dir.appendingPathComponent($0).path) }
    if !existing.isEmpty {
      var err = StandardError()
      print(
        "error: refusing to initialize \(directory): it already has \(existing.joined(separator: ", ")); nothing was written",
        to: &err)
      throw ExitCode(2)
    }
    do {
      try fm.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
      for (url, text) in planned {
        // withoutOverwriting: a file that appeared meanwhile is still not replaced.
        try Data(text.utf8).write(to: url, options: [.withoutOverwriting])
      }
    } catch {
      var err = StandardError()
      print("error: \(BuildError.describe(error, doing: "cannot initialize", path: directory))", to: &err)
      throw ExitCode(1)
    }
    let cd = directory == "." ? "" : "cd \(directory) && "
    print(
      "wrote \(NewProject.files.map(\.path).joined(separator: ", ")) into \(directory)/; preview it with: \(cd)skelreport preview (then open http://127.0.0.1:8000/), or build it with: skelreport build --strict"
    )
  }
}

/// The files of a new project (the templates are built into the binary, so none are written).
enum NewProject {
  static let files: [(path: String, text: String)] = [
    ("reports/example.md", example), ("reports/refs.bib", bibliography), ("README.md", readme),
  ]

  static let readme = """
    # My kernel reports

    Preview it with `skelreport preview`: open http://127.0.0.1:8000/; every save rebuilds what it changed and reloads the page (Ctrl-C stops). Build the site into `_site/` with `skelreport build --strict` (reports in `reports/`; the built-in templates, unless a `templates/` folder overrides them file by file).

    """

  static let bibliography = """
    @inproceedings{daniely2016,
      author    = {Daniely, Amit and Frostig, Roy and Singer, Yoram},
      title     = {Toward Deeper Understanding of Neural Networks: The Power of Initialization and a Dual View on Expressivity},
      booktitle = {Advances in Neural Information Processing Systems 29},
      year      = {2016},
      eprint    = {1602.05897}
    }

    """

  static let example = """
    ---
    title: The dual of the ReLU
    seed: 1
    bibliography: refs.bib
    ---

    An activation $\\sigma$ normalized so that $\\mathbb{E}[\\sigma(Z)^2] = 1$ has the dual activation
    $\\hat\\sigma(\\rho) = \\mathbb{E}[\\sigma(X)\\,\\sigma(Y)]$, where $X$ and $Y$ are standard normal with
    correlation $\\rho$ [@daniely2016]. For the ReLU, $\\sigma(x) = \\sqrt{2}\\max(0, x)$, it is

    $$\\hat\\sigma(\\rho) = \\frac{\\sqrt{1 - \\rho^2} + (\\pi - \\arccos\\rho)\\,\\rho}{\\pi}.$$

    @fig-relu-dual draws it: orthogonal inputs keep the correlation
    {val}`fig-relu-dual.y[relu, rho=0]:.4f`, which is $1/\\pi$.

    ```{kernel} dual
    :label: fig-relu-dual
    :alt: An increasing convex curve over rho from -1 to 1, from 0 at rho = -1 through 1/pi at rho = 0 to 1 at rho = 1.
    :activations: [relu]
    :rho: linspace(-1, 1, 201)

    The normalized ReLU dual $\\hat\\sigma(\\rho)$ on $[-1, 1]$.
    ```

    """
}

/// A network as the user writes it (the `network` option of a directive): neural-tangents' stax
/// layer vocabulary as a value. One `Network` has three meanings, as stax's
/// `(init_fn, apply_fn, kernel_fn)`: its NNGP and NTK on any batch of inputs, and a finite random
/// network of the same law. Hashable and `Codable`, so a network is part of a cache key.
///
/// Widths (`width`) matter only for finite realizations and for the NTK of the standard
/// parameterization (whose NTK is scaled by the fan-in); the infinite-width kernels ignore them.
/// Defaults are NT's: `W_std = 1`, `b_std = nil` (no bias), the 'ntk' parameterization, convolution
/// padding `same`... (see each struct). A list of layers is `serial`.
public indirect enum Network: Hashable, Sendable, Codable {
  /// `Dense(out_dim, W_std, b_std, parameterization)`.
  case dense(DenseLayer)
  /// An elementwise nonlinearity (NT's `Relu()`, `Erf()`, `ABRelu(a, b)`, `Elementwise(fn)` …).
  case activation(Activation)
  /// `Conv(out_chan, filter_shape, strides, padding, W_std, b_std, parameterization)`, 1-D or 2-D by
  /// the rank of `window`.
  case conv(ConvLayer)
  /// `AvgPool` / `SumPool`.
  case pool(PoolLayer)
  /// `GlobalAvgPool` / `GlobalSumPool`.
  case globalPool(PoolMode)
  /// `Flatten()`.
  case flatten
  /// `LayerNorm()` over the channel axis (NT's default `axis=-1`).
  case layerNorm
  /// `Dropout(rate)`, with `rate` the keep probability as in NT (`mode='train'`).
  case dropout(rate: Double)
  /// `Identity()`.
  case identity
  /// `serial(...)`.
  case serial([Network])
  /// `FanOut(n)`, `parallel(...)`, then `FanInSum()` / `FanInConcat()`.
  case parallel([Network], fanIn: NetworkFanIn)
  /// The network K times in series.
  case repeated(Network, count: Int)

  /// `residual(NET)`: `FanOut(2)`, `parallel(NET, Identity())`, `FanInSum()`.
  public static func residual(_ body: Network) -> Network { .parallel([body, .identity], fanIn: .sum) }

  /// The shorthand of the kinds that take `activation`, `depth`, `w_std`, `b_std`:
  /// `[repeat(L, [dense(w_std, b_std), ACTIVATION]), dense(w_std_out, b_std)]`.
  public static func mlp(depth: Int, activation: Activation, wStd: Double, bStd: Double?, wStdOut: Double? = nil) -> Network {
    let hidden = Network.serial([.dense(DenseLayer(wStd: wStd, bStd: bStd)), .activation(activation)])
    return .serial([.repeated(hidden, count: depth), .dense(DenseLayer(wStd: wStdOut ?? wStd, bStd: bStd))])
  }
}

/// How a dense or convolutional layer scales its weights (NT's `parameterization`).
public enum ParameterizationName: String, Hashable, Sendable, Codable, CaseIterable {
  /// z = (W_std/√fan_in) W x + b_std b, W, b ~ N(0, 1).
  case ntk
  /// W ~ N(0, W_std²/fan_in), b ~ N(0, b_std²).
  case standard
}

public struct DenseLayer: Hashable, Sendable, Codable {
  public var width: Int?
  public var wStd: Double
  public var bStd: Double?
  public var parameterization: ParameterizationName

  public init(width: Int? = nil, wStd: Double = 1, bStd: Double? = nil, parameterization: ParameterizationName = .ntk) {
    self.width = width
    self.wStd = wStd
    self.bStd = bStd
    self.parameterization = parameterization
  }
}

/// Padding of a convolution or a pooling window (NT's `Padding`).
public enum PaddingMode: String, Hashable, Sendable, Codable, CaseIterable {
  case same, valid, circular
}

public struct ConvLayer: Hashable, Sendable, Codable {
  public var width: Int?
  /// The filter shape, one entry per spatial axis (1-D: `[3]`, 2-D: `[3, 3]`).
  public var window: [Int]
  /// One entry per spatial axis (same count as `window`).
  public var strides: [Int]
  public var padding: PaddingMode
  public var wStd: Double
  public var bStd: Double?
  public var parameterization: ParameterizationName

  public init(
    width: Int? = nil, window: [Int], strides: [Int]? = nil, padding: PaddingMode = .same, wStd: Double = 1, bStd: Double? = nil,
    parameterization: ParameterizationName = .ntk
  ) {
    self.width = width
    self.window = window
    self.strides = strides ?? window.map { _ in 1 }
    self.padding = padding
    self.wStd = wStd
    self.bStd = bStd
    self.parameterization = parameterization
  }
}

public enum PoolMode: String, Hashable, Sendable, Codable, CaseIterable {
  case average, sum
}

public struct PoolLayer: Hashable, Sendable, Codable {
  public var mode: PoolMode
  public var window: [Int]
  /// Defaults to the window (NT's `strides=None`).
  public var strides: [Int]
  public var padding: PaddingMode

  public init(mode: PoolMode, window: [Int], strides: [Int]? = nil, padding: PaddingMode = .valid) {
    self.mode = mode
    self.window = window
    self.strides = strides ?? window
    self.padding = padding
  }
}

public enum NetworkFanIn: String, Hashable, Sendable, Codable, CaseIterable {
  /// `FanInSum()`.
  case sum
  /// `FanInConcat()` over the channel axis.
  case concat
}

/// The shape of one input of a batch: a vector of `channels` features (no spatial axes), or an
/// image/sequence with spatial axes (`[H, W]` or `[L]`) and `channels` channels (NHWC as NT).
public struct InputShape: Hashable, Sendable, Codable, CustomStringConvertible {
  public var spatial: [Int]
  public var channels: Int

  public init(spatial: [Int] = [], channels: Int) {
    self.spatial = spatial
    self.channels = channels
  }

  public var description: String { (spatial + [channels]).map(String.init).joined(separator: "×") }
}

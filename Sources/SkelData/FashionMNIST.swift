import Synchronization

/// Fashion-MNIST (Xiao, Rasul and Vollgraf 2017) from Debian's `dataset-fashion-mnist`:
/// gzip'd IDX files of 28×28 images and their labels 0–9.
public enum FashionMNIST {
  /// Where Debian's package puts the files (`dpkg -L dataset-fashion-mnist`).
  public static let folder = "/usr/share/datasets/fashion-mnist"
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]

  /// The image and label files of a split (`train` or `test`).
  public static func files(split: String) -> (images: String, labels: String) {
    let stem = split == "train" ? "train" : "t10k"
    return ("\(folder)/\(stem)-images-idx3-ubyte.gz", "\(folder)/\(stem)-labels-idx1-ubyte.gz")
  }

  /// The last splits decoded, by their files' bytes: a build checks and draws from the same split
  /// once per directive and sweep point, and inflating the 26 MB training file each time took
  /// 42 s of a cold build's validation (bundled site, release, 2026-12-04). Two entries (train
  /// and test); a lookup compares the bytes (at once when they are the same array, as a build's
  /// `InputFiles` hands out).
  private static let decodedSplits = Mutex<[(images: [UInt8], labels: [UInt8], decoded: (images: IDX.Array, labels: [UInt8]))]>([])

  /// The decoded images (N×28×28 bytes) and labels (N) of one split, checked to agree.
  public static func decode(images: [UInt8], labels: [UInt8]) throws(DataError) -> (images: IDX.Array, labels: [UInt8]) {
    if let hit = decodedSplits.withLock({ $0.first { $0.images == images && $0.labels == labels }?.decoded }) { return hit }
    let decoded = try decodeAnew(images: images, labels: labels)
    decodedSplits.withLock { memo in
      memo.removeAll { $0.images == images && $0.labels == labels }
      memo.append((images, labels, decoded))
      if memo.count > 2 { memo.removeFirst(memo.count - 2) }
    }
    return decoded
  }

  static func decodeAnew(images: [UInt8], labels: [UInt8]) throws(DataError) -> (images: IDX.Array, labels: [UInt8]) {
    let im = try IDX.read(try Gzip.inflate(images, maxBytes: 60_000 * 784 + 16), maxElements: 60_000 * 784)
    let lab = try IDX.read(try Gzip.inflate(labels, maxBytes: 60_000 + 8), maxElements: 60_000)
    guard im.shape.count == 3, im.shape[1] == 28, im.shape[2] == 28 else {
      throw DataError(.byte(4), "the image file's sizes are \(im.shape); expected N×28×28")
    }
    guard lab.shape.count == 1, lab.shape[0] == im.shape[0] else {
      throw DataError(.byte(4), "the label file has \(lab.shape) labels for \(im.shape[0]) images")
    }
    if let bad = lab.bytes.firstIndex(where: { $0 > 9 }) {
      throw DataError(.byte(8 + bad), "label \(lab.bytes[bad]) of image \(bad) is not a class 0–9")
    }
    return (im, lab.bytes)
  }
}

import CSV

/// A CSV file with a header row: numeric columns (all but the label column, or those named)
/// and optionally a label column kept as class labels (numbers or strings).
///
/// Parsing is yaslab/CSV.swift's `CSVReader` (RFC 4180 quoting). It reports no positions, so
/// they are counted here: the line of a row is 1 plus the line breaks of every row before it
/// (one ending each row, and any inside quoted fields), and the column is the field's number in
/// its row (1 for the first field), which for a file without quotes is its CSV column.
public enum CSVData {
  public static func read(
    _ bytes: [UInt8], columns: [String]? = nil, labels: String? = nil, maxElements: Int = DataLimits.maxElements
  ) throws(DataError) -> DataSet {
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw DataError(.byte(firstInvalidUTF8(bytes)), "the file is not UTF-8")
    }
    let reader: CSVReader
    do {
      reader = try CSVReader(string: text, hasHeaderRow: false, trimFields: true)
    } catch {
      throw DataError(.line(1, column: 1), "the CSV reader failed: \(error)")
    }
    guard let header = reader.next(), header != [""] else { throw DataError(.line(1, column: 1), "the file has no header row") }
    var line = 1 + lineBreaks(header)
    let pick = try selection(header, columns: columns, labels: labels)
    var values: [Double] = [], labelValues: [String] = []
    var rows = 0
    while let row = reader.next() {
      defer { line += lineBreaks(row) }
      if row == [""] { continue }  // a blank line
      guard row.count == header.count else {
        throw DataError(
          .line(line, column: min(row.count, header.count) + 1), "row has \(row.count) fields; the header has \(header.count)")
      }
      guard values.count + pick.numeric.count <= maxElements else {
        throw DataError(.line(line, column: 1), "the file holds more than \(maxElements) numbers")
      }
      for c in pick.numeric { values.append(try number(row[c], line: line, column: c + 1, name: header[c])) }
      if let l = pick.label { labelValues.append(row[l]) }
      rows += 1
    }
    guard rows > 0 else { throw DataError(.line(line, column: 1), "the file has a header but no rows") }
    return DataSet(shape: [rows, pick.numeric.count], values: values, labels: pick.label == nil ? nil : labelValues)
  }

  /// The numeric columns' indices and the label column's, from the header.
  static func selection(_ header: [String], columns: [String]?, labels: String?) throws(DataError) -> (numeric: [Int], label: Int?) {
    var seen: [String: Int] = [:]
    for (i, name) in header.enumerated() {
      if let first = seen[name] {
        throw DataError(.line(1, column: i + 1), "column name '\(name)' appears twice (also column \(first + 1))")
      }
      seen[name] = i
    }
    func index(_ name: String) throws(DataError) -> Int {
      guard let i = seen[name] else {
        throw DataError(
          .line(1, column: 1), "the header has no column '\(name)'; it has \(header.map { "'\($0)'" }.joined(separator: ", "))")
      }
      return i
    }
    let label = try labels.map { (n: String) throws(DataError) -> Int in try index(n) }
    var numeric: [Int] = []
    if let columns {
      for c in columns { numeric.append(try index(c)) }
    } else {
      numeric = header.indices.filter { $0 != label }
    }
    guard !numeric.isEmpty else { throw DataError(.line(1, column: 1), "no numeric columns are left") }
    return (numeric, label)
  }

  static func number(_ field: String, line: Int, column: Int, name: String) throws(DataError) -> Double {
    guard let x = Double(field), !field.lowercased().hasPrefix("0x") else {
      throw DataError(.line(line, column: column), "'\(field)' in column '\(name)' is not a number")
    }
    guard x.isFinite else { throw DataError(.line(line, column: column), "'\(field)' in column '\(name)' is not a finite number") }
    return x
  }

  /// Line breaks a row spans: the one that ends it, and any inside its quoted fields.
  static func lineBreaks(_ row: [String]) -> Int {
    var n = 1
    for f in row where f.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) {
      var previousCR = false
      for u in f.unicodeScalars {
        if u == "\r" || (u == "\n" && !previousCR) { n += 1 }
        previousCR = u == "\r"
      }
    }
    return n
  }

  /// The offset of the first byte that does not continue a well-formed UTF-8 sequence.
  static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      let length = b < 0x80 ? 1 : b >= 0xC2 && b < 0xE0 ? 2 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xF0 && b < 0xF5 ? 4 : 0
      guard length > 0, i + length <= bytes.count else { return i }
      for k in 1..<length where bytes[i + k] & 0xC0 != 0x80 { return i + k }
      i += length
    }
    return 0
  }
}

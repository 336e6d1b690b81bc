import CHDF5
import CHDF5Reader
import Synchronization

/// HDF5 files through the library's C API: the groups and float32 / int64 datasets that
/// Keras's weight files are made of, on disk or as an in-memory image (the weights inside
/// a `.keras` zip).
///
/// Debian's HDF5 is the serial build, which is not thread-safe: every call into the
/// library happens under one process-wide lock.
final class HDF5File {
    private static let library = Lock<Bool>(false)

    /// Runs `body` holding the library lock, with the library initialized and its
    /// automatic error printing off (errors are reported as thrown errors instead).
    static func locked<R>(_ body: () throws -> R) rethrows -> R {
        try library.withLock { ready in
            if !ready {
                H5open()
                H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
                ready = true
            }
            return try body()
        }
    }

    private static var readOnly: UInt32 { h5_read_only() }
    private static var truncate: UInt32 { h5_truncate() }
    private static let defaultList = hid_t(H5P_DEFAULT)

    let id: hid_t
    /// How errors name the file ("model.weights.h5"); empty when the caller names it.
    let label: String
    var prefix: String { label.isEmpty ? "" : label + ": " }
    private var isOpen = true

    private init(id: hid_t, label: String) {
        self.id = id
        self.label = label
    }

    deinit { close() }

    func close() {
        guard isOpen else { return }
        isOpen = false
        HDF5File.locked { _ = H5Fclose(id) }
    }

    // MARK: Opening

    /// The library tells in-memory files apart by name: each gets its own.
    private static let memoryFiles = Atomic<Int>(0)
    private static func uniqueMemoryName() -> String {
        "swiftkeras-memory-\(memoryFiles.wrappingAdd(1, ordering: .relaxed).oldValue).h5"
    }

    /// A new empty file in memory; `image()` gives its bytes.
    static func createInMemory(label: String) throws -> HDF5File {
        try locked {
            let fapl = H5Pcreate(h5_file_access())
            defer { H5Pclose(fapl) }
            H5Pset_fapl_core(fapl, 1 << 20, false)
            let id = H5Fcreate(uniqueMemoryName(), truncate, defaultList, fapl)
            guard id >= 0 else { throw failure(label, "cannot create an HDF5 file in memory") }
            return HDF5File(id: id, label: label)
        }
    }

    /// Creates (or truncates) a file on disk.
    static func create(path: String, label: String) throws -> HDF5File {
        try locked {
            let id = H5Fcreate(path, truncate, defaultList, defaultList)
            guard id >= 0 else { throw failure(label, "cannot create the HDF5 file") }
            return HDF5File(id: id, label: label)
        }
    }

    /// Opens an HDF5 image held in memory, read-only.
    static func open(image bytes: [UInt8], label: String) throws -> HDF5File {
        guard bytes.count >= 8, bytes.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw SavingError("\(label.isEmpty ? "" : label + ": ")not an HDF5 file (it does not start with the HDF5 signature)")
        }
        return try locked {
            // Through the checking driver (Sources/CHDF5Reader), which copies the image on open.
            let id = bytes.withUnsafeBytes { image -> hid_t in
                let fapl = sk_hdf5_image_access_list(image.baseAddress, image.count)
                guard fapl >= 0 else { return -1 }
                defer { H5Pclose(fapl) }
                return H5Fopen(uniqueMemoryName(), readOnly, fapl)
            }
            guard id >= 0 else { throw failure(label, "not a readable HDF5 file") }
            return HDF5File(id: id, label: label)
        }
    }

    /// The file's bytes (for a file created in memory).
    func image() throws -> [UInt8] {
        try HDF5File.locked {
            H5Fflush(id, H5F_SCOPE_GLOBAL)
            let size = H5Fget_file_image(id, nil, 0)
            guard size > 0 else { throw HDF5File.failure(label, "cannot read back the HDF5 image") }
            var bytes = [UInt8](repeating: 0, count: size)
            let written = bytes.withUnsafeMutableBytes { H5Fget_file_image(id, $0.baseAddress, size) }
            guard written == size else { throw HDF5File.failure(label, "cannot read back the HDF5 image") }
            return bytes
        }
    }

    // MARK: Writing

    /// Creates the group at `path` (and any missing parents), with a string attribute
    /// `name` as Keras writes on every `vars` group.
    func createGroup(_ path: String, nameAttribute: String? = nil) throws {
        try HDF5File.locked {
            var current = ""
            for part in path.split(separator: "/") {
                current += (current.isEmpty ? "" : "/") + part
                if H5Lexists(id, current, HDF5File.defaultList) > 0 { continue }
                let gcpl = H5Pcreate(h5_group_create())
                defer { H5Pclose(gcpl) }
                // No modification times: the same model gives the same bytes.
                H5Pset_obj_track_times(gcpl, false)
                let group = H5Gcreate2(id, current, HDF5File.defaultList, gcpl, HDF5File.defaultList)
                guard group >= 0 else { throw HDF5File.failure(label, "cannot create the group \(current)") }
                H5Gclose(group)
            }
            if let nameAttribute { try writeStringAttribute(path, "name", nameAttribute) }
        }
    }

    private func writeStringAttribute(_ path: String, _ key: String, _ value: String) throws {
        let group = H5Gopen2(id, path, HDF5File.defaultList)
        guard group >= 0 else { throw HDF5File.failure(label, "cannot open the group \(path)") }
        defer { H5Gclose(group) }
        // A variable-length UTF-8 string, as h5py stores a Python str.
        let type = H5Tcopy(h5_c_string())
        defer { H5Tclose(type) }
        H5Tset_size(type, h5_variable_size())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(group, key, type, space, HDF5File.defaultList, HDF5File.defaultList)
        guard attribute >= 0 else { throw HDF5File.failure(label, "cannot write the attribute \(key) of \(path)") }
        defer { H5Aclose(attribute) }
        let status = value.withCString { text -> herr_t in
            var pointer: UnsafePointer<CChar>? = text
            return H5Awrite(attribute, type, &pointer)
        }
        guard status >= 0 else { throw HDF5File.failure(label, "cannot write the attribute \(key) of \(path)") }
    }

    /// Writes a float32 dataset of `shape` (a scalar for `[]`) from `values`.
    func writeFloat32(_ path: String, shape: [Int], values: UnsafePointer<Float>) throws {
        try write(path, shape: shape, fileType: h5_ieee_f32le(), memoryType: h5_native_float(), values: UnsafeRawPointer(values))
    }

    /// Writes a scalar int64 dataset (an optimizer's step count).
    func writeInt64(_ path: String, _ value: Int64) throws {
        var value = value
        try write(path, shape: [], fileType: h5_std_i64le(), memoryType: h5_native_int64(), values: &value)
    }

    private func write(_ path: String, shape: [Int], fileType: hid_t, memoryType: hid_t, values: UnsafeRawPointer) throws {
        try HDF5File.locked {
            let dims = shape.map { hsize_t($0) }
            let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), dims, nil)
            defer { H5Sclose(space) }
            let dcpl = H5Pcreate(h5_dataset_create())
            defer { H5Pclose(dcpl) }
            H5Pset_obj_track_times(dcpl, false)
            let dataset = H5Dcreate2(id, path, fileType, space, HDF5File.defaultList, dcpl, HDF5File.defaultList)
            guard dataset >= 0 else { throw HDF5File.failure(label, "cannot create the dataset \(path)") }
            defer { H5Dclose(dataset) }
            guard H5Dwrite(dataset, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), HDF5File.defaultList, values) >= 0 else {
                throw HDF5File.failure(label, "cannot write the dataset \(path)")
            }
        }
    }

    // MARK: Reading

    enum Kind { case group, dataset }

    /// What is at `path`: nil when nothing is. Paths may only go through hard links (as
    /// Keras's safe loading requires: soft and external links are refused).
    func kind(_ path: String) throws -> Kind? {
        try HDF5File.locked { try kindLocked(path) }
    }

    private func kindLocked(_ path: String) throws -> Kind? {
        if path == "/" { return .group }
        var current = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part != ".", part != ".." else { throw SavingError("\(prefix)invalid path '\(path)'") }
            current += (current.isEmpty ? "" : "/") + part
            // Negative is an error (a corrupt group), not absence: every parent was found.
            let exists = H5Lexists(id, current, HDF5File.defaultList)
            guard exists >= 0 else { throw HDF5File.failure(label, "cannot look up \(current)") }
            guard exists > 0 else { return nil }
            var info = H5L_info_t()
            guard H5Lget_info(id, current, &info, HDF5File.defaultList) >= 0 else { return nil }
            guard info.type == H5L_TYPE_HARD else {
                throw SavingError("\(prefix)\(current) is a soft or external link, which is not allowed")
            }
        }
        let object = H5Oopen(id, path, HDF5File.defaultList)
        guard object >= 0 else { return nil }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return nil
        }
    }

    /// The names of a group's members, in the library's (alphabetical) order.
    func members(of path: String) throws -> [String] {
        try HDF5File.locked {
            guard try kindLocked(path) == .group else { return [] }
            let group = H5Gopen2(id, path, HDF5File.defaultList)
            guard group >= 0 else { throw HDF5File.failure(label, "cannot open the group \(path)") }
            defer { H5Gclose(group) }
            var info = H5G_info_t()
            guard H5Gget_info(group, &info) >= 0 else { throw HDF5File.failure(label, "cannot list the group \(path)") }
            return try (0..<info.nlinks).compactMap { i in
                let length = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5File.defaultList)
                guard length >= 0 else { throw HDF5File.failure(label, "cannot read the member names of \(path)") }
                guard length < 4096 else { return nil }
                var name = [CChar](repeating: 0, count: length + 1)
                _ = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, &name, length + 1, HDF5File.defaultList)
                return String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    /// Every dataset under `root`, with its shape and NumPy-style type name ("float32",
    /// "int64"), as h5py would list them.
    func datasets(under root: String = "") throws -> [String: (shape: [Int], type: String)] {
        var found: [String: (shape: [Int], type: String)] = [:]
        var pending = [root]
        while let group = pending.popLast() {
            for member in try members(of: group.isEmpty ? "/" : group) {
                let path = group.isEmpty ? member : group + "/" + member
                switch try kind(path) {
                case .group: pending.append(path)
                case .dataset:
                    found[path] = try HDF5File.locked {
                        try withDataset(path) { dataset, shape, isInteger in
                            let type = H5Dget_type(dataset)
                            defer { H5Tclose(type) }
                            return (shape, (isInteger ? "int" : "float") + String(8 * H5Tget_size(type)))
                        }
                    }
                case nil: break
                }
            }
        }
        return found
    }

    /// A dataset's shape, checked to be a plain numeric array stored in this file.
    func shape(of path: String) throws -> [Int] {
        try HDF5File.locked { try withDataset(path) { _, shape, _ in shape } }
    }

    /// Reads a numeric dataset as float32 (the library converts other number types) into
    /// `destination`, which must hold exactly `count` values.
    func readFloat32(_ path: String, into destination: UnsafeMutablePointer<Float>, count: Int) throws {
        try HDF5File.locked {
            try withDataset(path) { dataset, shape, _ in
                guard shape.reduce(1, *) == count else {
                    throw SavingError("\(prefix)\(path) holds \(shape.reduce(1, *)) values, expected \(count)")
                }
                guard H5Dread(dataset, h5_native_float(), hid_t(H5S_ALL), hid_t(H5S_ALL), HDF5File.defaultList, destination) >= 0 else {
                    throw HDF5File.failure(label, "cannot read \(path)")
                }
            }
        }
    }

    /// Reads a scalar integer dataset.
    func readInt64(_ path: String) throws -> Int64 {
        try HDF5File.locked {
            try withDataset(path) { dataset, shape, isInteger in
                guard shape.reduce(1, *) == 1 else { throw SavingError("\(prefix)\(path) should hold one number, it has shape \(shapeString(shape))") }
                var value: Int64 = 0
                if isInteger {
                    guard H5Dread(dataset, h5_native_int64(), hid_t(H5S_ALL), hid_t(H5S_ALL), HDF5File.defaultList, &value) >= 0 else {
                        throw HDF5File.failure(label, "cannot read \(path)")
                    }
                } else {
                    var float: Double = 0
                    guard H5Dread(dataset, h5_native_double(), hid_t(H5S_ALL), hid_t(H5S_ALL), HDF5File.defaultList, &float) >= 0,
                          float.isFinite, float.rounded() == float, Swift.abs(float) < 9e18 else {
                        throw HDF5File.failure(label, "cannot read \(path) as an integer")
                    }
                    value = Int64(float)
                }
                return value
            }
        }
    }

    /// Opens a dataset after checking what Keras's safe loading checks: a hard-linked,
    /// numeric dataset with its data in this file (not external, not virtual), whose
    /// declared size the stored bytes can back (no "shape bomb").
    private func withDataset<R>(_ path: String, _ body: (hid_t, [Int], Bool) throws -> R) throws -> R {
        guard try kindLocked(path) == .dataset else { throw SavingError("\(prefix)\(path) is not a dataset") }
        let dataset = H5Dopen2(id, path, HDF5File.defaultList)
        guard dataset >= 0 else { throw HDF5File.failure(label, "cannot open the dataset \(path)") }
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let typeClass = H5Tget_class(type)
        guard typeClass == H5T_FLOAT || typeClass == H5T_INTEGER else {
            throw SavingError("\(prefix)\(path) does not hold numbers")
        }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw SavingError("\(prefix)\(path) has an invalid shape") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dims, nil) == rank else { throw SavingError("\(prefix)\(path) has an invalid shape") }
        var shape: [Int] = []
        var total: UInt64 = 1
        for d in dims {
            let (product, overflow) = total.multipliedReportingOverflow(by: UInt64(d))
            guard !overflow, product < 1 << 40 else { throw SavingError("\(prefix)\(path) declares an impossibly large shape") }
            total = product
            shape.append(Int(d))
        }
        let dcpl = H5Dget_create_plist(dataset)
        defer { H5Pclose(dcpl) }
        guard H5Pget_external_count(dcpl) == 0, H5Pget_layout(dcpl) != H5D_VIRTUAL else {
            throw SavingError("\(prefix)\(path) keeps its data outside the file, which is not allowed")
        }
        let declared = total * UInt64(Swift.max(H5Tget_size(type), 1))
        let stored = H5Dget_storage_size(dataset)
        guard declared <= 1 << 32 || declared <= 1000 * stored else {
            throw SavingError("\(prefix)\(path) declares \(declared) bytes but stores only \(stored)")
        }
        return try body(dataset, shape, typeClass == H5T_INTEGER)
    }

    // MARK: Errors

    /// An error naming the file, with the library's most specific reason when it gave one.
    private static func failure(_ label: String, _ what: String) -> SavingError {
        final class Messages { var all: [String] = [] }
        let messages = Messages()
        _ = withUnsafeMutablePointer(to: &messages.all) { pointer in
            H5Ewalk2(hid_t(H5E_DEFAULT), H5E_WALK_DOWNWARD, { _, record, data in
                if let record, let description = record.pointee.desc, let data {
                    data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: description))
                }
                return 0
            }, pointer)
        }
        H5Eclear2(hid_t(H5E_DEFAULT))
        let prefix = label.isEmpty ? "" : label + ": "
        guard let reason = messages.all.last, !reason.isEmpty else { return SavingError("\(prefix)\(what)") }
        return SavingError("\(prefix)\(what) (\(reason))")
    }
}

#include "descent/train/checkpoint_integrity.hpp"

#include "descent/data/zip.hpp"

namespace descent::train {

void verify_archive_checksums(std::string_view bytes, const std::string& name) {
  for (const data::ZipEntry& entry : data::zip_entries(bytes, name)) {
    // Deflated entries (LibTorch writes none) are left to LibTorch's reader, which inflates them.
    if (entry.method == 0) data::zip_stored_contents(bytes, entry, name);
  }
}

}  // namespace descent::train

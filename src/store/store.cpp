#include "store/store.hpp"

namespace hf::store {

void Store::ReadResource(const std::string& id, ReadDone done) {
  // The Tx ends before `done` runs, which may read again (a store of one connection).
  auto read = [&]() -> Result<std::optional<model::Resource>> {
    auto tx = HF_TRY(Begin(TxMode::kRead));
    return tx->GetResource(id);
  };
  done(read());
}

}  // namespace hf::store

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace hf::store {
namespace {

TEST(OpenStore, RejectsUnknownSchemesWithoutShowingPasswords) {
  for (const char* url : {"mysql://user:s3cret@host/db", "", "sqlite:", "postgres:/x"}) {
    auto store = OpenStore(url);
    ASSERT_FALSE(store) << url;
    EXPECT_EQ(store.error().code, ErrorCode::kInvalidArgument) << url;
    EXPECT_EQ(store.error().message.find("s3cret"), std::string::npos);
    EXPECT_NE(store.error().message.find("use postgres://"), std::string::npos);
  }
}

TEST(OpenStore, UnreachablePostgresIsUnavailable) {
  StoreOptions options;
  options.acquire_timeout = std::chrono::milliseconds(500);
  auto store = OpenStore("postgresql://postgres:s3cret@127.0.0.1:1/none", options);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.error().message.find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace hf::store

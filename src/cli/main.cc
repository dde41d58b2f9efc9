#include <CLI/CLI.hpp>
int main(int argc, char** argv) {
  CLI::App app{"canbao — 城乡居民医保参保缴费"};
  CLI11_PARSE(app, argc, argv);
  return 0;
}

// clang >= 16 emits a wasm `main(argc, argv)` as __main_argc_argv, and the
// emscripten 3.1.6 runtime (written for clang 14) looks for `main`: the
// relaxed-SIMD build's suite (emcc driving clang 19, docs/engine.md) gets
// the `main` its JS calls from here. Empty in every other build.
#if defined(__EMSCRIPTEN__) && defined(__clang_major__) && __clang_major__ >= 16
extern "C" int __main_argc_argv(int argc, char** argv);
extern "C" int quantlab_main_bridge(int argc, char** argv) __asm__("main");
extern "C" int quantlab_main_bridge(int argc, char** argv) { return __main_argc_argv(argc, argv); }
#endif

// A minimal JSON writer for reports the CLI saves (sensitivity tables, mixed-
// precision plans): objects, arrays, strings with escapes, numbers written
// with enough digits to read back the same double. Commas are placed for the
// caller; non-finite numbers become null.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace quantlab {

class JsonWriter {
public:
    JsonWriter& begin_object() { return open('{'); }
    JsonWriter& end_object() { return close('}'); }
    JsonWriter& begin_array() { return open('['); }
    JsonWriter& end_array() { return close(']'); }

    // Inside an object: the key of the next value.
    JsonWriter& key(const std::string& k) {
        separate();
        quote(k);
        out_ += ':';
        after_key_ = true;
        return *this;
    }
    JsonWriter& value(const std::string& s) {
        separate();
        quote(s);
        return *this;
    }
    JsonWriter& value(const char* s) { return value(std::string(s)); }
    JsonWriter& value(bool b) {
        separate();
        out_ += b ? "true" : "false";
        return *this;
    }
    JsonWriter& value(double d) {
        separate();
        if (!std::isfinite(d)) {
            out_ += "null";
        } else {
            char buf[40];
            std::snprintf(buf, sizeof buf, "%.17g", d);
            out_ += buf;
        }
        return *this;
    }
    JsonWriter& value(int64_t i) {
        separate();
        out_ += std::to_string(i);
        return *this;
    }
    JsonWriter& value(uint64_t i) {
        separate();
        out_ += std::to_string(i);
        return *this;
    }
    JsonWriter& value(int i) { return value(int64_t(i)); }
    JsonWriter& null() {
        separate();
        out_ += "null";
        return *this;
    }
    template <class T>
    JsonWriter& field(const std::string& k, const T& v) {
        key(k);
        return value(v);
    }

    const std::string& str() const { return out_; }

private:
    JsonWriter& open(char c) {
        separate();
        out_ += c;
        first_.push_back(true);
        return *this;
    }
    JsonWriter& close(char c) {
        out_ += c;
        first_.pop_back();
        return *this;
    }
    void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_.empty()) {
            if (!first_.back()) out_ += ',';
            first_.back() = false;
        }
    }
    void quote(const std::string& s) {
        out_ += '"';
        for (unsigned char c : s) {
            switch (c) {
                case '"': out_ += "\\\""; break;
                case '\\': out_ += "\\\\"; break;
                case '\n': out_ += "\\n"; break;
                case '\r': out_ += "\\r"; break;
                case '\t': out_ += "\\t"; break;
                default:
                    if (c < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        out_ += buf;
                    } else {
                        out_ += char(c);
                    }
            }
        }
        out_ += '"';
    }

    std::string out_;
    std::vector<bool> first_;
    bool after_key_ = false;
};

}  // namespace quantlab

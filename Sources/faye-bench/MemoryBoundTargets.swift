extension PerformanceDocument {
    /// The memory bounds of issue 23: a bomb or an endless message costs at most `maxLength` +
    /// 8 MiB at its peak and leaves at most 8 MiB; an idle compressed connection at most 16 KiB.
    var memoryBoundTargets: [Target] {
        var targets: [Target] = []
        for row in rows where row.bench == "bomb" && (row.unit == BombBench.peakUnit || row.unit == BombBench.afterUnit)
        {
            let peak = row.unit == BombBench.peakUnit
            let description =
                peak
                ? "bomb: peak growth ≤ maxLength + 8 MiB (\(row.name))"
                : "bomb: back within 8 MiB of the baseline after it (\(row.name))"
            targets.append(
                Target(
                    description: description,
                    measured: "\(Format.figure(row.ours)) MiB (bound \(Format.figure(row.reference)) MiB)",
                    reached: row.ours <= row.reference))
        }
        for row in rows where row.bench == "compressed idle" {
            targets.append(
                Target(
                    description: "compressed idle: ≤ 16 KiB per connection (\(row.name))",
                    measured:
                        "\(Format.figure(row.ours)) bytes (\(Format.figure(row.reference)) without idle release)",
                    reached: row.ours <= 16 * 1024))
        }
        return targets
    }
}

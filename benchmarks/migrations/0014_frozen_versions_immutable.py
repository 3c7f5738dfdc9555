"""Frozen versions become immutable at the model layer.

- BenchmarkVersion.checksum_scheme: versions that exist keep scheme 1 (what their checksum hashes),
  new ones get 2 (every exported field and the media's sha256).
- Sample.media gets a declared through model, SampleMedia, over the table Django already made for it
  (benchmarks_sample_media: same columns, same unique pair): no table changes, only the state.
- on_delete of a few foreign keys: PROTECT or CASCADE to RESTRICT. Django emulates on_delete in
  Python, so no SQL either.
"""
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('benchmarks', '0013_export_formats'),
        ('datapool', '0004_importjob_upload_and_format'),
    ]

    operations = [
        migrations.AddField(
            model_name='benchmarkversion',
            name='checksum_scheme',
            field=models.PositiveSmallIntegerField(choices=[(1, 'v1: item key, question, options, answer'), (2, "v2: every exported field of each item and its media's sha256")], default=1, help_text='What the checksum hashes; a frozen version is verified with the scheme it was frozen with.'),
        ),
        migrations.AlterField(
            model_name='benchmarkversion',
            name='checksum_scheme',
            field=models.PositiveSmallIntegerField(choices=[(1, 'v1: item key, question, options, answer'), (2, "v2: every exported field of each item and its media's sha256")], default=2, help_text='What the checksum hashes; a frozen version is verified with the scheme it was frozen with.'),
        ),
        migrations.AlterField(
            model_name='benchmarkversion',
            name='request',
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='versions', to='benchmarks.benchmarkrequest'),
        ),
        migrations.AlterField(
            model_name='grounding',
            name='dataset',
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='groundings', to='datapool.dataset'),
        ),
        migrations.AlterField(
            model_name='sample',
            name='grounding',
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='samples', to='benchmarks.grounding'),
        ),
        migrations.AlterField(
            model_name='sample',
            name='source_record',
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='samples', to='datapool.datasetrecord'),
        ),
        migrations.AlterField(
            model_name='sample',
            name='subtask',
            field=models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, related_name='samples', to='benchmarks.subtask'),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SampleMedia',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('mediaasset', models.ForeignKey(on_delete=django.db.models.deletion.RESTRICT, to='benchmarks.mediaasset')),
                        ('sample', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='benchmarks.sample')),
                    ],
                    options={
                        'db_table': 'benchmarks_sample_media',
                        'unique_together': {('sample', 'mediaasset')},
                    },
                ),
                migrations.AlterField(
                    model_name='sample',
                    name='media',
                    field=models.ManyToManyField(blank=True, related_name='samples', through='benchmarks.SampleMedia', to='benchmarks.mediaasset'),
                ),
            ],
            database_operations=[],
        ),
    ]
